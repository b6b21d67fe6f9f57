"""Returns, refunds and buyer cancellation requests followed from TikTok (SPEC §4.2).

Opening a request need not change its order's `update_time` (TikTok reference §17.8), so order
paging alone misses them. Each fetch reads Search Returns by update time from a cursor of its
own (less an overlap, as for orders) and the pending buyer cancellation requests; a webhook
(types 11 and 12) or the completion sweep re-reads the requests of the orders it names. Every
request is stored once (by its id), never moved back to an older view, and its order is marked
so the 14-day rule does not complete it (`orders.return_requested`) and its status shows it
(`orders.return_state`). Each change of status is kept in the request's history and in its
order's, which also brings the request's alert up to date.
"""

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage import queries
from storage.db import transaction
from storage.models import AfterSalesRequest, Order
from storage.states import Actor, EventKind, RequestKind, ReturnMark
from sync import history
from sync.clock import as_utc, to_unix
from sync.engine import restocks
from sync.engine.context import EngineContext
from sync.ingest import ingest, refresh_section
from sync.tiktok.cancellations import Cancellation
from sync.tiktok.returns import (
    OPEN_STATUSES,
    RECEIVE_PACKAGE,
    REFUNDED_STATUSES,
    ReturnRequest,
    ReturnStatus,
    ReturnType,
)

log = logging.getLogger(__name__)

ORDER_IDS_PER_SEARCH = 50
PENDING_CANCEL = "CANCELLATION_REQUEST_PENDING"
BUYER_CANCEL = "BUYER_CANCEL"
_KINDS = {
    ReturnType.REFUND: RequestKind.REFUND,
    ReturnType.RETURN_AND_REFUND: RequestKind.RETURN_AND_REFUND,
    ReturnType.REPLACEMENT: RequestKind.REPLACEMENT,
}
# A returned parcel has reached the seller once TikTok asks to check it, or once the return
# closed after the buyer sent it (a tracking number) — a returnless refund has none.
_AFTER_PARCEL = frozenset(
    {ReturnStatus.SUCCESS, ReturnStatus.COMPLETE, ReturnStatus.PACKAGE_REJECTED}
)


@dataclass(frozen=True)
class Seen:
    """One request as TikTok shows it now, in the shape it is stored."""

    request_id: str
    tiktok_order_id: str
    kind: RequestKind
    status: str
    is_open: bool
    refunded: bool
    seller_action: str | None
    deadline: datetime | None
    role: str | None
    reason_key: str | None
    reason: str | None
    amount: Decimal | None
    currency: str
    lines: tuple[dict, ...]
    opened_at: datetime
    updated_at: datetime
    received: bool = False


def from_return(request: ReturnRequest) -> Seen:
    package = any(a.action == RECEIVE_PACKAGE for a in request.seller_actions)
    received = request.return_type == ReturnType.RETURN_AND_REFUND and (
        package or (request.status in _AFTER_PARCEL and bool(request.return_tracking_number))
    )
    actions = sorted(request.seller_actions, key=lambda a: a.deadline)
    return Seen(
        request_id=request.return_id,
        tiktok_order_id=request.order_id,
        kind=_KINDS.get(request.return_type, RequestKind.REFUND),
        status=str(request.status),
        is_open=request.status in OPEN_STATUSES,
        refunded=request.status in REFUNDED_STATUSES,
        seller_action=actions[0].action if actions else None,
        deadline=request.deadline,
        role=request.role,
        reason_key=request.reason,
        reason=request.reason_text,
        amount=request.refund_total,
        currency=request.currency,
        lines=tuple(
            {
                "order_line_item_id": line.order_line_item_id,
                "seller_sku": line.seller_sku or line.sku_id,
                "product_name": line.product_name,
                "refund_total": None if line.refund_total is None else str(line.refund_total),
            }
            for line in request.line_items
        ),
        opened_at=request.create_time,
        updated_at=request.update_time,
        received=received,
    )


def is_buyer_request(record: Cancellation) -> bool:
    """A buyer's cancellation request that needed (or needs) the seller's answer."""
    return record.cancel_type == BUYER_CANCEL or (
        record.cancel_status == PENDING_CANCEL and (record.role or "").upper() == "BUYER"
    )


def from_cancellation(record: Cancellation, now: datetime) -> Seen | None:
    if not record.cancel_id or not is_buyer_request(record):
        return None
    status = record.cancel_status or ""
    opened = record.create_time or record.update_time or now
    return Seen(
        request_id=record.cancel_id,
        tiktok_order_id=record.order_id,
        kind=RequestKind.CANCELLATION,
        status=status,
        is_open=status == PENDING_CANCEL,
        refunded=False,
        seller_action="SELLER_RESPOND_CANCEL" if record.deadline else None,
        deadline=record.deadline if status == PENDING_CANCEL else None,
        role=record.role,
        reason_key=record.cancel_reason,
        reason=record.cancel_reason_text,
        amount=record.refund_total,
        currency=record.currency or "",
        lines=(),
        opened_at=opened,
        updated_at=record.update_time or opened,
    )


# --- following -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Changed:
    """What a fetch read of TikTok's requests, to be stored (`follow`)."""

    until: int  # the request cursor once these are stored
    returns: list[Seen]
    pending_cancellations: list[Seen]


def read_changed(ctx: EngineContext) -> Changed:
    """The requests changed since the cursor, and the pending buyer cancellation requests:
    TikTok calls only (a fetch makes them while it settles, then stores what they found)."""
    started = ctx.clock()
    with ctx.sessions() as session:
        cursor = queries.request_cursor(session, shop_id=ctx.shop_id)
    start = cursor - ctx.overlap_s if cursor is not None else to_unix(started - ctx.lookback)
    end = to_unix(started) + 1  # `lt` is exclusive
    returns = [
        from_return(r)
        for page in ctx.tiktok.search_returns(update_time_ge=start, update_time_lt=end)
        for r in page.returns
    ]
    pending = [
        s
        for r in ctx.tiktok.pending_cancellation_requests()
        if (s := from_cancellation(r, started))
    ]
    return Changed(end, returns, pending)


def follow(ctx: EngineContext, changed: Changed | None = None) -> int:
    """The fetch's part: store the requests changed since the cursor and the pending buyer
    cancellation requests (read now, unless `changed` was read already), and read what
    became of those no longer pending. Returns how many were read."""
    changed = changed or read_changed(ctx)
    store(ctx, changed.returns)
    follow_cancellations(ctx, changed.pending_cancellations)
    with transaction(ctx.sessions) as session:
        queries.save_request_cursor(session, shop_id=ctx.shop_id, cursor=changed.until)
    restocks.settle(ctx)  # restocks a crash or a busy shop left owed
    return len(changed.returns) + len(changed.pending_cancellations)


def follow_cancellations(ctx: EngineContext, pending: list[Seen]) -> None:
    store(ctx, pending)
    with ctx.sessions() as session:
        still_open = queries.open_request_ids(
            session, shop_id=ctx.shop_id, kind=RequestKind.CANCELLATION
        )
    listed = {s.request_id for s in pending}
    gone = {rid: oid for rid, oid in still_open.items() if rid not in listed}
    if gone:  # approved, withdrawn or run out since: read what became of them
        records = search_cancellations(ctx, sorted(set(gone.values())))
        store(ctx, [s for s in records if s.request_id in gone])


def follow_orders(ctx: EngineContext, tiktok_order_ids: Sequence[str]) -> int:
    """Re-read every request of these orders (a push named them, or they are due to complete)."""
    ids = list(dict.fromkeys(tiktok_order_ids))
    read = 0
    for start in range(0, len(ids), ORDER_IDS_PER_SEARCH):
        chunk = ids[start : start + ORDER_IDS_PER_SEARCH]
        seen = [
            from_return(r)
            for page in ctx.tiktok.search_returns(order_ids=chunk)
            for r in page.returns
        ]
        seen += search_cancellations(ctx, chunk)
        store(ctx, seen)
        read += len(seen)
    return read


def search_cancellations(ctx: EngineContext, tiktok_order_ids: Sequence[str]) -> list[Seen]:
    now = ctx.clock()
    found: list[Seen] = []
    for start in range(0, len(tiktok_order_ids), ORDER_IDS_PER_SEARCH):
        chunk = tiktok_order_ids[start : start + ORDER_IDS_PER_SEARCH]
        for record in ctx.tiktok.search_cancellations(order_ids=chunk):
            seen = from_cancellation(record, now)
            if seen is not None:
                found.append(seen)
    return found


# --- storing -------------------------------------------------------------------------------


def store(ctx: EngineContext, seen: Iterable[Seen]) -> None:
    """Store what TikTok showed; the orders of requests not yet known are read first."""
    seen = list(seen)
    if not seen:
        return
    _with_orders(ctx, {s.tiktok_order_id for s in seen})
    for attempt in (1, 2):
        try:
            with transaction(ctx.sessions) as session:
                _store(session, ctx.shop_id, seen, ctx.clock())
            return
        except IntegrityError:
            # Another writer (a webhook's re-read, a fetch) stored one of them first.
            if attempt == 2:
                raise


def _with_orders(ctx: EngineContext, tiktok_order_ids: set[str]) -> None:
    with ctx.sessions() as session:
        known = queries.orders_by_tiktok_ids(session, tiktok_order_ids=sorted(tiktok_order_ids))
    missing = sorted(tiktok_order_ids - set(known))
    if not missing:
        return
    orders = []
    for start in range(0, len(missing), ORDER_IDS_PER_SEARCH):
        orders += ctx.tiktok.get_orders(missing[start : start + ORDER_IDS_PER_SEARCH])
    for attempt in (1, 2):
        try:
            with transaction(ctx.sessions) as session:
                ingest(session, shop_id=ctx.shop_id, orders=orders, now=ctx.clock())
            return
        except IntegrityError:
            if attempt == 2:
                raise


def _store(session: Session, shop_id: int, seen: list[Seen], now: datetime) -> None:
    stored = queries.requests_by_ids(
        session, shop_id=shop_id, request_ids=[s.request_id for s in seen]
    )
    orders = queries.orders_by_tiktok_ids(
        session, tiktok_order_ids=sorted({s.tiktok_order_id for s in seen})
    )
    touched: dict[int, Order] = {}
    for incoming in sorted(seen, key=lambda s: s.updated_at):
        order = orders.get(incoming.tiktok_order_id)
        if order is None or order.shop_id != shop_id:
            log.warning(
                "tiktok: request %s names order %s, which TikTok did not return; skipped",
                incoming.request_id,
                incoming.tiktok_order_id,
            )
            continue
        row = stored.get(incoming.request_id)
        if row is None:
            row = _insert(session, shop_id, order, incoming, now)
            stored[incoming.request_id] = row
        elif not _update(session, row, incoming, now):
            continue
        touched[order.id] = order
    session.flush()
    for order in touched.values():
        mark_order(session, order.id, now)


def _entry(incoming: Seen) -> dict:
    return {"at": incoming.updated_at.isoformat(), "status": incoming.status, "by": incoming.role}


def _detail(row: AfterSalesRequest) -> str:
    """An order history entry for the request: "<kind> <id>: <status>"."""
    return f"{row.kind} {row.request_id}: {row.status}"


def _insert(
    session: Session, shop_id: int, order: Order, incoming: Seen, now: datetime
) -> AfterSalesRequest:
    row = AfterSalesRequest(
        shop_id=shop_id,
        request_id=incoming.request_id,
        order_id=order.id,
        tiktok_order_id=incoming.tiktok_order_id,
        kind=incoming.kind,
        status=incoming.status,
        line_items=json.dumps(list(incoming.lines)),
        history=json.dumps([_entry(incoming)]),
        opened_at=incoming.opened_at,
        updated_at=incoming.updated_at,
        synced_at=now,
    )
    _copy(row, incoming, now)
    session.add(row)
    history.record(
        session,
        order.id,
        EventKind.REQUEST,
        _detail(row),
        actor=Actor.TIKTOK,
        at=incoming.updated_at,
    )
    return row


def _update(session: Session, row: AfterSalesRequest, incoming: Seen, now: datetime) -> bool:
    """Bring a stored request up to what TikTok shows; False for an older view of it."""
    if incoming.updated_at < as_utc(row.updated_at):
        return False
    moved = (row.status, row.seller_action) != (incoming.status, incoming.seller_action)
    received = incoming.received and row.received_at is None
    row.updated_at = incoming.updated_at
    row.synced_at = now
    _copy(row, incoming, now)
    if moved:
        row.history = json.dumps([*row.entries(), _entry(incoming)])
        detail = _detail(row) + (" (parcel received)" if received else "")
        history.record(
            session,
            row.order_id,
            EventKind.REQUEST,
            detail,
            actor=Actor.TIKTOK,
            at=incoming.updated_at,
        )
    return True


def _copy(row: AfterSalesRequest, incoming: Seen, now: datetime) -> None:
    row.status = incoming.status
    row.is_open = incoming.is_open
    row.seller_action = incoming.seller_action
    row.deadline = incoming.deadline
    row.role = incoming.role or row.role
    row.reason_key = incoming.reason_key or row.reason_key
    row.reason = incoming.reason or row.reason
    row.amount = incoming.amount if incoming.amount is not None else row.amount
    row.currency = incoming.currency or row.currency
    if incoming.lines:
        row.line_items = json.dumps(list(incoming.lines))
    if incoming.received and row.received_at is None:
        row.received_at = now


def mark_order(session: Session, order_id: int, now: datetime) -> None:
    """What the order's return and refund requests say of it: whether the 14-day rule may
    complete it, and the words next to its section."""
    order = queries.order_as_stored(session, order_id=order_id)
    returns = [
        r
        for r in queries.requests_of_order(session, order_id=order_id)
        if r.kind != RequestKind.CANCELLATION
    ]
    open_ = any(r.is_open for r in returns)
    refunded = any(r.status in REFUNDED_STATUSES for r in returns)
    order.return_requested = open_ or refunded
    order.return_state = (
        ReturnMark.REQUESTED if open_ else ReturnMark.REFUNDED if refunded else None
    )
    refresh_section(session, order, now, reread=False)
