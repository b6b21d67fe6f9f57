"""Return, refund and replacement requests as Search Returns shows them (§17.1), their reasons
(§17.3, US reason pages) and which decision answers which request (§17.2).

A refund-only request is a return of type REFUND. The seller's answers and TikTok's own move
the request through `return_status`; `stage` says what the seller is asked for now.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from .orders import Order, image_url, money

REFUND, RETURN_AND_REFUND, REPLACEMENT = "REFUND", "RETURN_AND_REFUND", "REPLACEMENT"
RETURN_TYPES = (REFUND, RETURN_AND_REFUND, REPLACEMENT)

PENDING = "RETURN_OR_REFUND_REQUEST_PENDING"
REJECTED = "REFUND_OR_RETURN_REQUEST_REJECT"
AWAITING_BUYER_SHIP = "AWAITING_BUYER_SHIP"
BUYER_SHIPPED = "BUYER_SHIPPED_ITEM"
PACKAGE_REJECTED = "REJECT_RECEIVE_PACKAGE"
SUCCESS = "RETURN_OR_REFUND_REQUEST_SUCCESS"
WITHDRAWN = "RETURN_OR_REFUND_REQUEST_CANCEL"
COMPLETE = "RETURN_OR_REFUND_REQUEST_COMPLETE"
REPLACEMENT_PENDING = "REPLACEMENT_REQUEST_PENDING"
REPLACEMENT_REJECTED = "REPLACEMENT_REQUEST_REJECT"
REPLACEMENT_REFUNDED = "REPLACEMENT_REQUEST_REFUND_SUCCESS"
REPLACEMENT_WITHDRAWN = "REPLACEMENT_REQUEST_CANCEL"
REPLACEMENT_COMPLETE = "REPLACEMENT_REQUEST_COMPLETE"
AWAITING_BUYER_RESPONSE = "AWAITING_BUYER_RESPONSE"
RETURN_STATUSES = frozenset(
    {
        PENDING,
        REJECTED,
        AWAITING_BUYER_SHIP,
        BUYER_SHIPPED,
        PACKAGE_REJECTED,
        SUCCESS,
        WITHDRAWN,
        COMPLETE,
        REPLACEMENT_PENDING,
        REPLACEMENT_REJECTED,
        REPLACEMENT_REFUNDED,
        REPLACEMENT_WITHDRAWN,
        REPLACEMENT_COMPLETE,
        AWAITING_BUYER_RESPONSE,
    }
)
OPEN = frozenset(
    {PENDING, AWAITING_BUYER_SHIP, BUYER_SHIPPED, REPLACEMENT_PENDING, AWAITING_BUYER_RESPONSE}
)
REFUNDED = frozenset({SUCCESS, COMPLETE, REPLACEMENT_REFUNDED})

# What the seller is asked for (`seller_next_action_response[].action`) and how long TikTok
# waits (§17.6; a replacement 24 h).
REQUEST, PACKAGE = "request", "package"  # stages: answer the request / the returned package
ACTIONS = {
    (REFUND, REQUEST): ("SELLER_RESPOND_REFUND", 48 * 3600),
    (RETURN_AND_REFUND, REQUEST): ("SELLER_RESPOND_RETURN", 48 * 3600),
    (RETURN_AND_REFUND, PACKAGE): ("SELLER_RESPOND_RECEIVE_PACKAGE", 48 * 3600),
    (REPLACEMENT, REQUEST): ("SELLER_RESPOND_REPLACEMENT", 24 * 3600),
}
APPROVALS = {  # (type, stage) -> the approve decisions that fit
    (REFUND, REQUEST): {"APPROVE_REFUND", "OFFER_PARTIAL_REFUND"},
    (RETURN_AND_REFUND, REQUEST): {"APPROVE_RETURN", "OFFER_PARTIAL_REFUND"},
    (RETURN_AND_REFUND, PACKAGE): {"APPROVE_RECEIVED_PACKAGE"},
    (REPLACEMENT, REQUEST): {"APPROVE_REPLACEMENT", "ISSUE_REPLACEMENT_REFUND"},
}
REJECTIONS = {
    (REFUND, REQUEST): {"REJECT_REFUND"},
    (RETURN_AND_REFUND, REQUEST): {"REJECT_RETURN"},
    (RETURN_AND_REFUND, PACKAGE): {"REJECT_RECEIVED_PACKAGE"},
    (REPLACEMENT, REQUEST): {"REJECT_REPLACEMENT"},
}
APPROVE_DECISIONS = frozenset().union(*APPROVALS.values())
REJECT_DECISIONS = frozenset().union(*REJECTIONS.values())

# Who may open what (§17.6): a refund from AWAITING_COLLECTION on, the others once delivered.
OPENABLE = {
    REFUND: frozenset({"AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED"}),
    RETURN_AND_REFUND: frozenset({"DELIVERED"}),
    REPLACEMENT: frozenset({"DELIVERED"}),
}
BUYER_REASONS = {  # US return reasons page
    "ecom_order_delivered_refund_and_return_reason_no_need": "No longer needed",
    "ecom_order_delivered_refund_and_return_reason_damaged": "Damaged item or packaging",
    "ecom_order_delivered_refund_and_return_reason_defective": "Defective item",
    "ecom_order_delivered_refund_and_return_reason_wrong_product": "Wrong item was sent",
    "ecom_order_delivered_refund_and_return_reason_not_match_description": (
        "Item doesn't match description"
    ),
}
DEFAULT_BUYER_REASON = "ecom_order_delivered_refund_and_return_reason_damaged"

_REQUEST_REJECT = {
    "reverse_reject_request_reason_4": "Product delivery is on schedule",
    "seller_reject_apply_item_is_correct": "Item is correct",
    "seller_reject_apply_products_will_be_sent_separately": "Products will be sent separately",
    "seller_reject_apply_reason_is_unclear_or_lack_of_evidence": (
        "Reason is unclear or lack of evidence"
    ),
    "seller_reject_apply_product_functions_well/buyer_use_in_wrong_way": (
        "Product functions well/Buyer use in wrong way"
    ),
    "seller_reject_apply_package_has_not_exceeded_estimated_delivery_time": (
        "Product is shipped and parcel cannot be recalled back from logistics."
    ),
}
# Removed for returns by the 2024 US changelog (§17.3), still valid for refunds.
_REMOVED_FOR_RETURNS = {
    "reverse_reject_request_reason_1": "Buyer return reason is not valid",
    "reverse_reject_request_reason_2": "Change of mind returns are not applicable",
    "reverse_reject_request_reason_3": "Not eligible for return (e.g. used or broken)",
    "reverse_reject_request_reason_5": "You have reached an agreement with the buyer",
}
_REFUND_ONLY_REJECT = {
    "seller_reject_apply_unable_to_change_address": "Unable to change the address",
    "seller_reject_apply_need_to_apply_for_refund&return": "Please apply for a return and refund",
    "seller_reject_apply_buyers_responsibility_for_incorrect_address": (
        "The buyer is responsible for the incorrect address"
    ),
    "seller_reject_apply_reason_is_unclear_/_lack_of_evidence": (
        "Reason is unclear / lack of evidence"
    ),
}
_PACKAGE_REJECT = {
    "reverse_reject_return_parcel_reason_1": (
        "The product returned is not the product that was sent"
    ),
    "reverse_reject_return_parcel_reason_2": "Not eligible for return (e.g. used or broken)",
    "reverse_reject_return_parcel_reason_3": "Missing products and/or product parts",
    "reverse_reject_return_parcel_reason_4": "I haven't received the package",
    "reverse_reject_return_parcel_reason_5": "Product is damaged or used",
    "seller_reject_apply_you_have_reached_an_agreement_with_the_buyer": (
        "You have reached an agreement with the buyer"
    ),
}
CANCEL_REJECT = {
    "order_manage_list_action_respond_popup_reject_reason_invalid_cancellation_reason": (
        "Invalid cancellation reason"
    ),
    "order_manage_list_action_respond_popup_reject_reason_delivered": (
        "Product delivery is on schedule"
    ),
    "order_manage_list_action_respond_popup_reject_reason_buyer_agree": (
        "You have reached an agreement with the buyer"
    ),
    "seller_reject_apply_product_has_been_packed": "The product has been packed",
}
REJECT_REASONS = {  # (type, stage) -> name -> text; a replacement takes the return list
    (REFUND, REQUEST): {**_REMOVED_FOR_RETURNS, **_REQUEST_REJECT, **_REFUND_ONLY_REJECT},
    (RETURN_AND_REFUND, REQUEST): _REQUEST_REJECT,
    (RETURN_AND_REFUND, PACKAGE): _PACKAGE_REJECT,
    (REPLACEMENT, REQUEST): _REQUEST_REJECT,
}
OFFLINE_REASONS = frozenset(_REMOVED_FOR_RETURNS)
KNOWN_REASONS = frozenset().union(*REJECT_REASONS.values(), CANCEL_REJECT)


@dataclass
class ReturnRequest:
    return_id: str
    order_id: str
    return_type: str
    status: str
    role: str  # who opened it
    reason: str
    line_items: list[dict]  # return_line_items
    refund: dict
    create_time: int
    update_time: int
    user_id: str
    fulfilled_by_tiktok: bool
    stage: str = REQUEST
    deadline: int = 0  # 0: nothing asked of the seller now
    return_tracking_number: str = ""
    partial_refund: dict = field(default_factory=dict)

    @property
    def line_item_ids(self) -> list[str]:
        return [line["order_line_item_id"] for line in self.line_items]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def ask(self, stage: str, now: int) -> None:
        """Ask the seller for an answer at `stage`, with TikTok's deadline for it."""
        self.stage = stage
        self.deadline = now + ACTIONS[(self.return_type, stage)][1]

    def to_json(self) -> dict:
        next_action = []
        if self.deadline:
            action = ACTIONS[(self.return_type, self.stage)][0]
            next_action = [{"action": action, "deadline": self.deadline}]
        answer = {
            "return_id": self.return_id,
            "order_id": self.order_id,
            "return_type": self.return_type,
            "return_status": self.status,
            "role": self.role,
            "return_reason": self.reason,
            "return_reason_text": BUYER_REASONS.get(self.reason, self.reason),
            "seller_next_action_response": next_action,
            "refund_amount": dict(self.refund),
            "return_line_items": [dict(line) for line in self.line_items],
            "create_time": self.create_time,
            "update_time": self.update_time,
            "can_buyer_keep_item": self.return_type == REFUND,
            "return_method": "BUYER_SHIPPED" if self.return_type != REFUND else "",
            "is_combined_return": False,
        }
        if self.return_tracking_number:
            answer["return_tracking_number"] = self.return_tracking_number
            answer["return_provider_name"] = "USPS"
        if self.partial_refund:
            answer["seller_proposed_return_type"] = "PARTIAL_REFUND"
            answer["partial_refund"] = dict(self.partial_refund)
        return answer


def return_lines(order: Order, line_item_ids: list[str], new_id) -> tuple[list[dict], dict]:
    """The request's line items and its refund amount: each item's price and tax; the
    shipping fee only when every item of the order comes back."""
    lines, subtotal, tax = [], Decimal(0), Decimal(0)
    for item in order.items:
        if item.id not in line_item_ids:
            continue
        subtotal, tax = subtotal + item.sale_price, tax + item.tax
        lines.append(
            {
                "return_line_item_id": new_id(),
                "order_line_item_id": item.id,
                "sku_id": item.sku["sku_id"],
                "sku_name": item.sku["sku_name"],
                "seller_sku": item.sku.get("seller_sku", ""),
                "product_name": item.sku["product_name"],
                "product_image": {"url": image_url(item.sku["sku_id"]), "width": 300},
                "refund_amount": {
                    "currency": order.currency,
                    "refund_total": money(item.sale_price + item.tax),
                },
            }
        )
    shipping = order.shipping_fee if len(lines) == len(order.items) else Decimal(0)
    refund = {
        "currency": order.currency,
        "refund_total": money(subtotal + tax + shipping),
        "refund_subtotal": money(subtotal),
        "refund_shipping_fee": money(shipping),
        "refund_tax": money(tax),
        "retail_delivery_fee": "0.00",
        "buyer_service_fee": "0.00",
    }
    return lines, refund
