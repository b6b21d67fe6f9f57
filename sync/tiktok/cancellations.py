"""Cancellation records, as Search Cancellations and Cancel Order give them (TikTok reference
§12, §17.5), and which of an order's records explains its cancellation."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sync.tiktok.fields import (
    Unreadable,
    maybe_time,
    money,
    next_deadline,
    required,
    text,
    text_or_empty,
)

log = logging.getLogger(__name__)


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
    cancel_type: str | None = None  # CANCEL (seller or system) or BUYER_CANCEL (a request)
    deadline: datetime | None = None  # a pending request's: TikTok approves it then
    refund_total: Decimal | None = None
    currency: str | None = None


@dataclass(frozen=True)
class CancelResult:
    cancel_id: str
    cancel_status: str


def parse_cancellation(cancellation: dict) -> Cancellation:
    refund = cancellation.get("refund_amount")
    refund = refund if isinstance(refund, dict) else {}
    return Cancellation(
        cancel_id=text_or_empty(cancellation.get("cancel_id")),
        order_id=required(cancellation, "order_id", "cancellation"),
        role=text(cancellation.get("role")),
        cancel_reason=text(cancellation.get("cancel_reason")),
        cancel_reason_text=text(cancellation.get("cancel_reason_text")),
        cancel_status=text(cancellation.get("cancel_status")),
        create_time=maybe_time(cancellation.get("create_time")),
        update_time=maybe_time(cancellation.get("update_time")),
        cancel_type=text(cancellation.get("cancel_type")),
        deadline=next_deadline(cancellation.get("seller_next_action_response")),
        refund_total=money(refund.get("refund_total"), "cancellation refund_total"),
        currency=text(refund.get("currency")),
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
        cancel_id=text_or_empty(data.get("cancel_id")),
        cancel_status=text_or_empty(data.get("cancel_status")),
    )
