"""TikTok Shop objects, parsed at the edge (TikTok reference §7, §10, §12, §13).

Only what orderbot uses is kept. Buyer contact data (`recipient_address`, `buyer_email`, names,
phone numbers) is never read, so it cannot leak further in.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sync.clock import from_unix


@dataclass(frozen=True)
class ComboPart:
    """One component of a combined-listing line item: `sku_count` units of `sku_id`."""

    sku_id: str
    sku_count: int
    product_id: str | None
    seller_sku: str | None


@dataclass(frozen=True)
class TikTokLineItem:
    """One unit sold (202309 line items have no quantity), or one bundle if `combined`."""

    id: str
    sku_id: str
    seller_sku: str
    product_id: str
    product_name: str
    sku_name: str
    sale_price: Decimal | None
    currency: str
    display_status: str | None
    cancel_user: str | None
    combined: tuple[ComboPart, ...]


@dataclass(frozen=True)
class TikTokOrder:
    id: str
    status: str
    create_time: datetime
    update_time: datetime
    paid_time: datetime | None
    rts_time: datetime | None
    collection_time: datetime | None
    delivery_time: datetime | None
    cancel_time: datetime | None
    cancel_reason: str | None  # display text, possibly localised: never branch on it
    cancellation_initiator: str | None
    fulfillment_type: str
    currency: str
    total_amount: Decimal | None
    is_buyer_request_cancel: bool
    line_items: tuple[TikTokLineItem, ...]


@dataclass(frozen=True)
class OrderPage:
    orders: list[TikTokOrder]
    next_page_token: str
    total_count: int | None


@dataclass(frozen=True)
class Cancellation:
    cancel_id: str
    order_id: str
    role: str | None
    cancel_reason: str | None  # the reason key, e.g. "package_lost"
    cancel_reason_text: str | None
    cancel_status: str | None
    create_time: datetime | None


@dataclass(frozen=True)
class CancelResult:
    cancel_id: str
    cancel_status: str


@dataclass(frozen=True)
class Shop:
    id: str
    name: str
    region: str
    seller_type: str
    cipher: str
    code: str


@dataclass(frozen=True)
class TrackingEvent:
    description: str
    at: datetime


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _str(value: Any) -> str:
    return _text(value) or ""


def _money(value: Any) -> Decimal | None:
    """TikTok sends amounts as strings; an empty string means no amount."""
    if value in (None, ""):
        return None
    amount = Decimal(str(value))
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return amount


def _time(value: Any) -> datetime:
    moment = from_unix(value)
    if moment is None:
        raise ValueError(f"missing time: {value!r}")
    return moment


def parse_line_item(item: dict) -> TikTokLineItem:
    return TikTokLineItem(
        id=str(item["id"]),
        sku_id=_str(item.get("sku_id")),
        seller_sku=_str(item.get("seller_sku")),
        product_id=_str(item.get("product_id")),
        product_name=_str(item.get("product_name")),
        sku_name=_str(item.get("sku_name")),
        sale_price=_money(item.get("sale_price")),
        currency=_str(item.get("currency")),
        display_status=_text(item.get("display_status")),
        cancel_user=_text(item.get("cancel_user")),
        combined=tuple(
            ComboPart(
                sku_id=str(part["sku_id"]),
                sku_count=int(part["sku_count"]),
                product_id=_text(part.get("product_id")),
                seller_sku=_text(part.get("seller_sku")),
            )
            for part in item.get("combined_listing_skus") or ()
        ),
    )


def parse_order(order: dict) -> TikTokOrder:
    payment = order.get("payment") or {}
    return TikTokOrder(
        id=str(order["id"]),
        status=str(order["status"]),
        create_time=_time(order.get("create_time")),
        update_time=_time(order.get("update_time")),
        paid_time=from_unix(order.get("paid_time")),
        rts_time=from_unix(order.get("rts_time")),
        collection_time=from_unix(order.get("collection_time")),
        delivery_time=from_unix(order.get("delivery_time")),
        cancel_time=from_unix(order.get("cancel_time")),
        cancel_reason=_text(order.get("cancel_reason")),
        cancellation_initiator=_text(order.get("cancellation_initiator")),
        fulfillment_type=_str(order.get("fulfillment_type")),
        currency=_str(payment.get("currency")),
        total_amount=_money(payment.get("total_amount")),
        is_buyer_request_cancel=bool(order.get("is_buyer_request_cancel", False)),
        line_items=tuple(parse_line_item(item) for item in order.get("line_items") or ()),
    )


def next_page_token(data: dict) -> str:
    """The cursor of a paged search; empty on the last page."""
    return _str(data.get("next_page_token"))


def parse_order_page(data: dict) -> OrderPage:
    total = data.get("total_count")
    return OrderPage(
        orders=[parse_order(order) for order in data.get("orders") or ()],
        next_page_token=next_page_token(data),
        total_count=int(total) if total is not None else None,
    )


def parse_cancellation(cancellation: dict) -> Cancellation:
    return Cancellation(
        cancel_id=str(cancellation["cancel_id"]),
        order_id=str(cancellation["order_id"]),
        role=_text(cancellation.get("role")),
        cancel_reason=_text(cancellation.get("cancel_reason")),
        cancel_reason_text=_text(cancellation.get("cancel_reason_text")),
        cancel_status=_text(cancellation.get("cancel_status")),
        create_time=from_unix(cancellation.get("create_time")),
    )


def parse_cancel_result(data: dict) -> CancelResult:
    return CancelResult(cancel_id=str(data["cancel_id"]), cancel_status=str(data["cancel_status"]))


def parse_shop(shop: dict) -> Shop:
    return Shop(
        id=str(shop["id"]),
        name=_str(shop.get("name")),
        region=_str(shop.get("region")),
        seller_type=_str(shop.get("seller_type")),
        cipher=str(shop["cipher"]),
        code=_str(shop.get("code")),
    )


def parse_tracking_event(event: dict) -> TrackingEvent:
    millis = int(event["update_time_millis"])  # milliseconds, unlike every other TikTok time
    at = datetime.fromtimestamp(millis // 1000, UTC) + timedelta(milliseconds=millis % 1000)
    return TrackingEvent(description=_str(event.get("description")), at=at)
