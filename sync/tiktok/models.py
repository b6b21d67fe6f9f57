"""TikTok Shop objects, parsed at the edge (TikTok reference §7, §10, §12, §13).

Only what orderbot uses is kept. Buyer contact data (`recipient_address`, `buyer_email`, names,
phone numbers) is never read, so it cannot leak further in.

Orders are parsed one by one: an order that cannot be read is logged (its id and what is wrong)
and skipped, and the page names it in `skipped`, so one odd order never stops a whole fetch.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sync.clock import from_unix

log = logging.getLogger(__name__)


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
    # Ids of the orders on this page that could not be read (each logged with the reason).
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cancellation:
    cancel_id: str
    order_id: str
    role: str | None
    cancel_reason: str | None  # the reason key, e.g. "package_lost"
    cancel_reason_text: str | None
    cancel_status: str | None
    create_time: datetime | None
    update_time: datetime | None = None


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


class Unreadable(ValueError):
    """An object lacks what orderbot needs from it; the message says what, never a value."""


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _str(value: Any) -> str:
    return _text(value) or ""


def _required(mapping: dict, key: str, where: str) -> str:
    text = _text(mapping.get(key))
    if text is None:
        raise Unreadable(f"{where}.{key} is missing")
    return text


def _money(value: Any, where: str = "amount") -> Decimal | None:
    """TikTok sends amounts as strings; an empty string means no amount, and so does one that
    is not a finite number (logged): prices are stored and shown ("—" when none), and stock is
    never computed from them, so an odd one must not stop the order."""
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite():
        log.warning("tiktok: %s is not an amount (%r); kept as none", where, value)
        return None
    return amount


def _time(value: Any, where: str = "time") -> datetime:
    try:
        moment = from_unix(value)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise Unreadable(f"{where} is not a Unix time") from exc
    if moment is None:
        raise Unreadable(f"{where} is missing")
    return moment


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
    item_id = _required(item, "id", where)
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
                sku_id=_required(part, "sku_id", part_where),
                sku_count=_sku_count(part, part_where),
                product_id=_text(part.get("product_id")),
                seller_sku=_text(part.get("seller_sku")),
            )
        )
    return TikTokLineItem(
        id=item_id,
        sku_id=_str(item.get("sku_id")),
        seller_sku=_str(item.get("seller_sku")),
        product_id=_str(item.get("product_id")),
        product_name=_str(item.get("product_name")),
        sku_name=_str(item.get("sku_name")),
        sale_price=_money(item.get("sale_price"), f"{where} sale_price"),
        currency=_str(item.get("currency")),
        display_status=_text(item.get("display_status")),
        cancel_user=_text(item.get("cancel_user")),
        combined=tuple(combined),
    )


def parse_order(order: dict) -> TikTokOrder:
    """One order; raises `Unreadable` (a ValueError) when it lacks what orderbot needs."""
    if not isinstance(order, dict):
        raise Unreadable("order is not an object")
    order_id = _required(order, "id", "order")
    where = f"order {order_id}"
    payment = order.get("payment") or {}
    if not isinstance(payment, dict):
        raise Unreadable(f"{where}.payment is not an object")
    items = order.get("line_items") or []
    if not isinstance(items, list):
        raise Unreadable(f"{where}.line_items is not a list")
    return TikTokOrder(
        id=order_id,
        status=_required(order, "status", where),
        create_time=_time(order.get("create_time"), f"{where}.create_time"),
        update_time=_time(order.get("update_time"), f"{where}.update_time"),
        paid_time=from_unix(order.get("paid_time")),
        rts_time=from_unix(order.get("rts_time")),
        collection_time=from_unix(order.get("collection_time")),
        delivery_time=from_unix(order.get("delivery_time")),
        cancel_time=from_unix(order.get("cancel_time")),
        cancel_reason=_text(order.get("cancel_reason")),
        cancellation_initiator=_text(order.get("cancellation_initiator")),
        fulfillment_type=_str(order.get("fulfillment_type")),
        currency=_str(payment.get("currency")),
        total_amount=_money(payment.get("total_amount"), f"{where} payment.total_amount"),
        is_buyer_request_cancel=bool(order.get("is_buyer_request_cancel", False)),
        line_items=tuple(parse_line_item(item, order_id=order_id) for item in items),
    )


def parse_orders(raw: Any) -> tuple[list[TikTokOrder], tuple[str, ...]]:
    """The readable orders of a list, and the ids of those skipped (each logged). An entry
    without an id is logged but cannot be named among the skipped."""
    orders: list[TikTokOrder] = []
    skipped: list[str] = []
    for order in raw if isinstance(raw, list) else ():
        try:
            orders.append(parse_order(order))
        except (Unreadable, KeyError, TypeError, ValueError, ArithmeticError) as exc:
            order_id = _text(order.get("id")) if isinstance(order, dict) else None
            log.warning("tiktok: order %s skipped: %s", order_id or "(no id)", exc)
            if order_id is not None:
                skipped.append(order_id)
    return orders, tuple(skipped)


def next_page_token(data: dict) -> str:
    """The cursor of a paged search; empty on the last page."""
    return _str(data.get("next_page_token"))


def parse_order_page(data: dict) -> OrderPage:
    orders, skipped = parse_orders(data.get("orders"))
    total = data.get("total_count")
    try:
        total_count = int(total) if total is not None else None
    except (TypeError, ValueError):
        total_count = None  # informational only
    return OrderPage(
        orders=orders,
        next_page_token=next_page_token(data),
        total_count=total_count,
        skipped=skipped,
    )


def parse_cancellation(cancellation: dict) -> Cancellation:
    return Cancellation(
        cancel_id=_str(cancellation.get("cancel_id")),
        order_id=_required(cancellation, "order_id", "cancellation"),
        role=_text(cancellation.get("role")),
        cancel_reason=_text(cancellation.get("cancel_reason")),
        cancel_reason_text=_text(cancellation.get("cancel_reason_text")),
        cancel_status=_text(cancellation.get("cancel_status")),
        create_time=_maybe_time(cancellation.get("create_time")),
        update_time=_maybe_time(cancellation.get("update_time")),
    )


def parse_cancellations(raw: Any) -> list[Cancellation]:
    """The readable cancellation records; one without an order id is logged and left out."""
    found = []
    for record in raw if isinstance(raw, list) else ():
        try:
            found.append(parse_cancellation(record))
        except (Unreadable, AttributeError) as exc:
            log.warning("tiktok: cancellation record skipped: %s", exc)
    return found


def _maybe_time(value: Any) -> datetime | None:
    try:
        return from_unix(value)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


# Search Cancellations can hold several records for one order (a buyer request that was later
# closed, then a system cancel). Ranked from most to least telling of what happened:
EFFECTIVE_CANCEL_STATUSES = frozenset(
    {"CANCELLATION_REQUEST_SUCCESS", "CANCELLATION_REQUEST_COMPLETE"}
)
_CANCEL_STATUS_RANK = {
    "CANCELLATION_REQUEST_SUCCESS": 3,
    "CANCELLATION_REQUEST_COMPLETE": 3,
    "CANCELLATION_REQUEST_PENDING": 2,
    # unknown or missing statuses rank 1
    "CANCELLATION_REQUEST_CANCEL": 0,  # closed by buyer or system: it did not happen
    "CANCELLATION_REQUEST_CANCELLED": 0,  # the same, as Search's answer spells it
}


def effective_cancellation(records: Iterable[Cancellation]) -> Cancellation | None:
    """The record that explains an order's cancellation, of one order's records: an accepted
    or completed one (`…_SUCCESS`, `…_COMPLETE`) before a pending one, before one of unknown
    status, before a closed one (`…_CANCEL`, `…_CANCELLED`); among equals the latest (by
    update time, else create time, else the later in `records`). None for no records.

    Pure; the caller passes one order's records (see `effective_cancellations`)."""
    best: Cancellation | None = None
    best_key: tuple = ()
    for position, record in enumerate(records):
        moment = record.update_time or record.create_time
        key = (
            _CANCEL_STATUS_RANK.get(record.cancel_status or "", 1),
            moment.timestamp() if moment else float("-inf"),
            position,
        )
        if best is None or key > best_key:
            best, best_key = record, key
    return best


def effective_cancellations(records: Iterable[Cancellation]) -> dict[str, Cancellation]:
    """`effective_cancellation` per order id, for a mixed list such as Search Cancellations
    returns."""
    by_order: dict[str, list[Cancellation]] = {}
    for record in records:
        by_order.setdefault(record.order_id, []).append(record)
    chosen = {order_id: effective_cancellation(group) for order_id, group in by_order.items()}
    return {order_id: record for order_id, record in chosen.items() if record is not None}


def parse_cancel_result(data: dict) -> CancelResult:
    """Lenient: the cancel has been done by now, so a missing field must not turn it into a
    failure."""
    return CancelResult(
        cancel_id=_str(data.get("cancel_id")), cancel_status=_str(data.get("cancel_status"))
    )


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
