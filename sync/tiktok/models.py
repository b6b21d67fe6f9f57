"""TikTok Shop objects, parsed at the edge (TikTok reference §7, §10, §12, §13).

Only what orderbot uses is kept. Buyer contact data (`recipient_address`, `buyer_email`, names,
phone numbers) is never read, so it cannot leak further in.

Orders are parsed one by one: an order that cannot be read is logged (its id and what is wrong)
and skipped, and the page names it in `skipped`, so one odd order never stops a whole fetch.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sync.clock import from_unix
from sync.tiktok.fields import (
    Unreadable,
    count_or_none,
    enum_value,
    maybe_time,
    money,
    read_each,
    required,
    text,
    text_or_empty,
    unix_time,
)

log = logging.getLogger(__name__)


class ShippingType(StrEnum):
    SELLER = "SELLER"  # the seller (or its 3PL) ships with its own carrier
    TIKTOK = "TIKTOK"  # a TikTok label: no seller ship call applies
    UNKNOWN = "UNKNOWN"


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
    package_id: str | None = None  # US: only once the item has shipped
    tracking_number: str | None = None


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
    # Shipping (reference §16.1): who ships, with which delivery option, and the deadlines.
    shipping_type: ShippingType = ShippingType.UNKNOWN
    delivery_option_id: str | None = None
    rts_sla_time: datetime | None = None  # ship by
    shipping_due_time: datetime | None = None  # TikTok cancels an unshipped order then
    tracking_number: str | None = None
    shipping_provider_id: str | None = None
    shipping_provider: str | None = None
    package_ids: tuple[str, ...] = ()
    request_cancel_time: datetime | None = None


@dataclass(frozen=True)
class OrderPage:
    orders: list[TikTokOrder]
    next_page_token: str
    total_count: int | None
    # Ids of the orders on this page that could not be read (each logged with the reason).
    skipped: tuple[str, ...] = ()


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


def _sku_count(part: dict, where: str) -> int:
    """Units of the component per bundle. Missing: 1, as a combined listing holds each
    component at least once (logged). Present but not a positive whole number: unreadable,
    since a guess there would reserve the wrong stock."""
    value = part.get("sku_count")
    if value in (None, ""):
        log.warning("tiktok: %s.sku_count is missing; counted as 1", where)
        return 1
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    count = None
    if isinstance(value, int) and not isinstance(value, bool):
        count = value
    elif isinstance(value, str) and value.strip().isdigit():
        count = int(value)
    if count is None or count < 1:
        raise Unreadable(f"{where}.sku_count is not a positive whole number")
    return count


def parse_line_item(item: dict, *, order_id: str = "?") -> TikTokLineItem:
    where = f"order {order_id} line item"
    if not isinstance(item, dict):
        raise Unreadable(f"{where} is not an object")
    item_id = required(item, "id", where)
    where = f"order {order_id} line item {item_id}"
    parts = item.get("combined_listing_skus") or []
    if not isinstance(parts, list):
        raise Unreadable(f"{where}.combined_listing_skus is not a list")
    combined = []
    for index, part in enumerate(parts):
        part_where = f"{where} combined_listing_skus[{index}]"
        if not isinstance(part, dict):
            raise Unreadable(f"{part_where} is not an object")
        combined.append(
            ComboPart(
                sku_id=required(part, "sku_id", part_where),
                sku_count=_sku_count(part, part_where),
                product_id=text(part.get("product_id")),
                seller_sku=text(part.get("seller_sku")),
            )
        )
    return TikTokLineItem(
        id=item_id,
        sku_id=text_or_empty(item.get("sku_id")),
        seller_sku=text_or_empty(item.get("seller_sku")),
        product_id=text_or_empty(item.get("product_id")),
        product_name=text_or_empty(item.get("product_name")),
        sku_name=text_or_empty(item.get("sku_name")),
        sale_price=money(item.get("sale_price"), f"{where} sale_price"),
        currency=text_or_empty(item.get("currency")),
        display_status=text(item.get("display_status")),
        cancel_user=text(item.get("cancel_user")),
        combined=tuple(combined),
        package_id=text(item.get("package_id")),
        tracking_number=text(item.get("tracking_number")),
    )


def parse_order(order: dict) -> TikTokOrder:
    """One order; raises `Unreadable` (a ValueError) when it lacks what orderbot needs."""
    if not isinstance(order, dict):
        raise Unreadable("order is not an object")
    order_id = required(order, "id", "order")
    where = f"order {order_id}"
    payment = order.get("payment") or {}
    if not isinstance(payment, dict):
        raise Unreadable(f"{where}.payment is not an object")
    items = order.get("line_items") or []
    if not isinstance(items, list):
        raise Unreadable(f"{where}.line_items is not a list")
    return TikTokOrder(
        id=order_id,
        status=required(order, "status", where),
        create_time=unix_time(order.get("create_time"), f"{where}.create_time"),
        update_time=unix_time(order.get("update_time"), f"{where}.update_time"),
        paid_time=from_unix(order.get("paid_time")),
        rts_time=from_unix(order.get("rts_time")),
        collection_time=from_unix(order.get("collection_time")),
        delivery_time=from_unix(order.get("delivery_time")),
        cancel_time=from_unix(order.get("cancel_time")),
        cancel_reason=text(order.get("cancel_reason")),
        cancellation_initiator=text(order.get("cancellation_initiator")),
        fulfillment_type=text_or_empty(order.get("fulfillment_type")),
        currency=text_or_empty(payment.get("currency")),
        total_amount=money(payment.get("total_amount"), f"{where} payment.total_amount"),
        is_buyer_request_cancel=bool(order.get("is_buyer_request_cancel", False)),
        line_items=tuple(parse_line_item(item, order_id=order_id) for item in items),
        shipping_type=_shipping_type(order.get("shipping_type"), where),
        delivery_option_id=text(order.get("delivery_option_id")),
        rts_sla_time=maybe_time(order.get("rts_sla_time")),
        shipping_due_time=maybe_time(order.get("shipping_due_time")),
        tracking_number=text(order.get("tracking_number")),
        shipping_provider_id=text(order.get("shipping_provider_id")),
        shipping_provider=text(order.get("shipping_provider")),
        package_ids=_package_ids(order.get("packages"), where),
        request_cancel_time=maybe_time(order.get("request_cancel_time")),
    )


def _shipping_type(value: Any, where: str) -> ShippingType:
    if value in (None, ""):
        return ShippingType.UNKNOWN
    return enum_value(ShippingType, value, f"{where}.shipping_type")


def _package_ids(packages: Any, where: str) -> tuple[str, ...]:
    if packages in (None, ""):
        return ()
    if not isinstance(packages, list) or not all(isinstance(p, dict) for p in packages):
        raise Unreadable(f"{where}.packages is not a list of objects")
    return tuple(required(package, "id", f"{where} package") for package in packages)


def parse_orders(raw: Any) -> tuple[list[TikTokOrder], tuple[str, ...]]:
    """The readable orders of a list, and the ids of those skipped (each logged)."""
    return read_each(raw, parse_order, "order")


def next_page_token(data: dict) -> str:
    """The cursor of a paged search; empty on the last page."""
    return text_or_empty(data.get("next_page_token"))


def parse_order_page(data: dict) -> OrderPage:
    orders, skipped = parse_orders(data.get("orders"))
    return OrderPage(
        orders=orders,
        next_page_token=next_page_token(data),
        total_count=count_or_none(data.get("total_count")),
        skipped=skipped,
    )


def parse_shop(shop: dict) -> Shop:
    return Shop(
        id=str(shop["id"]),
        name=text_or_empty(shop.get("name")),
        region=text_or_empty(shop.get("region")),
        seller_type=text_or_empty(shop.get("seller_type")),
        cipher=str(shop["cipher"]),
        code=text_or_empty(shop.get("code")),
    )


def parse_tracking_event(event: dict) -> TrackingEvent:
    millis = int(event["update_time_millis"])  # milliseconds, unlike every other TikTok time
    at = datetime.fromtimestamp(millis // 1000, UTC) + timedelta(milliseconds=millis % 1000)
    return TrackingEvent(description=text_or_empty(event.get("description")), at=at)
