"""Cancel reasons, US market (§12.3): names, display texts, and who may use them when."""

from dataclasses import dataclass

UNPAID_ONLY = frozenset({"UNPAID"})
PAID_TO_SHIP = frozenset({"ON_HOLD", "AWAITING_SHIPMENT"})


@dataclass(frozen=True)
class SellerReason:
    text: str
    statuses: frozenset[str]


# The overview says a seller may not cancel UNPAID orders, the reasons page lists reasons for it;
# the emulator follows the reasons page (a seller reason exists, so it is accepted).
SELLER_REASONS = {
    "seller_cancel_unpaid_reason_out_of_stock": SellerReason("Out of stock", UNPAID_ONLY),
    "seller_cancel_unpaid_reason_wrong_price": SellerReason("Pricing error", UNPAID_ONLY),
    "seller_cancel_unpaid_reason_buyer_hasnt_paid_within_time_allowed": SellerReason(
        "Buyer did not pay on time", UNPAID_ONLY
    ),
    "seller_cancel_unpaid_reason_buyer_requested_cancellation": SellerReason(
        "Buyer requested cancellation", UNPAID_ONLY
    ),
    "seller_cancel_reason_out_of_stock": SellerReason("Out of stock", PAID_TO_SHIP),
    "seller_cancel_reason_wrong_price": SellerReason("Pricing error", PAID_TO_SHIP),
    "seller_cancel_paid_reason_address_not_deliver": SellerReason(
        "Unable to deliver to buyer address", PAID_TO_SHIP
    ),
    "seller_cancel_paid_reason_buyer_requested_cancellation": SellerReason(
        "Buyer requested cancellation", PAID_TO_SHIP
    ),
}

DELIVERY_FAILURE_REASONS = {
    "returned_to_shipper_refused": "Package rejected",
    "returned_to_shipper_other": "Package delivery failed",
    "package_lost": "Package lost",
    "package_damaged": "Package damaged",
    "package_scrap": "Package scrapped",
    "threepl_breach": "Late delivery",
    "system_cancel_order_exceed_edt_not_arrive": (
        "Automatically canceled as not delivered within 30 days of estimated time of delivery"
    ),
}

OPERATOR_REASONS = {
    "system_cancel_order_reason_potential_fraud": "Potential fraud",
    "system_cancel_order_reason_experience_related": "Canceled by TikTok Shop",
    "operator_cancel_risk_control_block": "Risk review",
    "system_cancel_order_reason_nrr_related": "Canceled by TikTok Shop",
}

SYSTEM_REASONS = {
    **DELIVERY_FAILURE_REASONS,
    "system_cancel_unpaid_time_out": "Payment overdue",
    "system_cancel_anti_span_block": "Risk review",
    "system_cancel_cross_border_entry_warehouse_failed_reason2": "Inbound failed",
    "package_cancel": "Canceled by system",
    "platform_cancel": "Canceled by system",
    "system_cancel_order_reason_shipping_timeout": "Collection timed out",
    "system_cancel_add_address_overtime": "No delivery address",
    "system_cancel_order_untracked": "Untraceable tracking number",
    "ecom_cb_sc_out_return": "Canceled by system",
    "ecom_order_unpaid_canceled_reason_not_want_pay": "No longer want to pay",
    **OPERATOR_REASONS,
}

BUYER_REASON_PREFIXES = (
    "ecom_order_unpaid_canceled_reason_",
    "ecom_order_to_ship_canceled_reason_",
    "US_order_to_ship_canceled_reason_not_shipped_on_time_before_RTS_prod",
)
BUYER_UNPAID_DEFAULT = "ecom_order_unpaid_canceled_reason_not_want_pay"
BUYER_TO_SHIP_DEFAULT = "ecom_order_to_ship_canceled_reason_created_by_mistakes"
_BUYER_TEXTS = {
    BUYER_UNPAID_DEFAULT: "No longer want to pay",
    BUYER_TO_SHIP_DEFAULT: "Created by mistake",
}


def is_known(reason: str) -> bool:
    return reason in SELLER_REASONS or reason in SYSTEM_REASONS or is_buyer_reason(reason)


def is_buyer_reason(reason: str) -> bool:
    return reason.startswith(BUYER_REASON_PREFIXES)


def buyer_text(reason: str) -> str:
    return _BUYER_TEXTS.get(reason, "Buyer requested cancellation")
