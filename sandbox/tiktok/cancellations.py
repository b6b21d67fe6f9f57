"""Cancellation records as Search Cancellations shows them (§12.2)."""

from dataclasses import dataclass, field
from decimal import Decimal

from .orders import Order, image_url, money

PENDING = "CANCELLATION_REQUEST_PENDING"
SUCCESS = "CANCELLATION_REQUEST_SUCCESS"
COMPLETE = "CANCELLATION_REQUEST_COMPLETE"
CLOSED = "CANCELLATION_REQUEST_CANCELLED"  # Search's and the webhook's spelling (§12.2)
SELLER_RESPONSE_WINDOW_S = 48 * 3600  # §17.6: then TikTok approves the request itself


@dataclass
class Cancellation:
    cancel_id: str
    order_id: str
    cancel_type: str  # CANCEL (seller or system) or BUYER_CANCEL
    role: str  # BUYER, SELLER, SYSTEM
    reason: str  # the reason key
    reason_text: str
    status: str
    create_time: int
    update_time: int
    user_id: str
    refund: dict
    line_items: list[dict] = field(default_factory=list)

    @property
    def deadline(self) -> int:
        return self.create_time + SELLER_RESPONSE_WINDOW_S

    def to_json(self) -> dict:
        next_action = []
        if self.status == PENDING:
            next_action = [{"action": "SELLER_RESPOND_CANCEL", "deadline": self.deadline}]
        return {
            "cancel_id": self.cancel_id,
            "order_id": self.order_id,
            "cancel_type": self.cancel_type,
            "cancel_status": self.status,
            "role": self.role,
            "cancel_reason": self.reason,
            "cancel_reason_text": self.reason_text,
            "create_time": self.create_time,
            "update_time": self.update_time,
            "seller_next_action_response": next_action,
            "refund_amount": dict(self.refund),
            "cancel_line_items": [dict(item) for item in self.line_items],
        }


def refund_of(order: Order) -> dict:
    """The whole payment comes back; nothing was paid on an unpaid order."""
    payment = order.payment()
    if not order.paid:
        payment = {key: "0.00" if key != "currency" else value for key, value in payment.items()}
    return {
        "currency": payment["currency"],
        "refund_total": payment["total_amount"],
        "refund_subtotal": payment["sub_total"],
        "refund_shipping_fee": payment["shipping_fee"],
        "refund_tax": payment["tax"],
        "retail_delivery_fee": payment["retail_delivery_fee"],
    }


def line_items_of(order: Order, new_id) -> list[dict]:
    lines = []
    for item in order.items:
        total = item.sale_price + item.tax if order.paid else Decimal(0)
        image = image_url(item.sku["sku_id"])
        lines.append(
            {
                "cancel_line_item_id": new_id(),
                "order_line_item_id": item.id,
                "sku_id": item.sku["sku_id"],
                "sku_name": item.sku["sku_name"],
                "seller_sku": item.sku.get("seller_sku", ""),
                "product_name": item.sku["product_name"],
                "product_image": {"url": image, "width": 300, "height": 300},
                "refund_amount": {"currency": order.currency, "refund_total": money(total)},
            }
        )
    return lines
