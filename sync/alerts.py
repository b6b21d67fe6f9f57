"""Which channel alerts are due, derived from stored state only (orders, events, reservations).

An alert is one (order, event): its `key` is `<kind>:<TikTok order id>` and the alerts table
holds each key once, so what is due is simply "the order is in this state and has no alert of
this kind yet". Nothing is queued in memory: after a crash the next run finds the same things due.

    new_order         an order placed on Etsy (or shipped by TikTok) in the last NEW_WINDOW,
                      with no alert of any kind yet (a failed one gets its failure alert instead)
    new_orders        one summary standing for many new orders (more than BATCH_OVER a minute);
                      each order it covers still gets its own `new_order` row, state `batched`
    placement_failed  could not be placed on Etsy (sku_unmatched, sku_ambiguous, …)
    delivery_failed   TikTok cancelled it for a delivery reason (decided from the reason key)
    order_cancelled   a buyer or system cancellation of an order whose units were reserved
    digest            the daily digest, keyed by the local date

Selection is pure (`event_due`, `plan_new_orders`) over rows the queries below load; the tests
drive it with `now` passed in.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from sqlmodel import Session, col, exists, select

from storage import queries
from storage.db import transaction
from storage.models import Alert, FetchState, Order, OrderEvent, OrderLine, Reservation
from sync import sections
from sync.clock import as_utc

NEW_ORDER = "new_order"
NEW_ORDERS = "new_orders"
PLACEMENT_FAILED = "placement_failed"
DELIVERY_FAILED = "delivery_failed"
ORDER_CANCELLED = "order_cancelled"
DIGEST = "digest"
ORDER_KINDS = (NEW_ORDER, PLACEMENT_FAILED, DELIVERY_FAILED, ORDER_CANCELLED)

# Alert row states.
POSTING = "posting"  # claimed; the post is under way (a crash here never posts it twice)
PENDING = "pending"  # claimed, the post was refused: tried again after a pause
POSTED = "posted"
HANDLED = "handled"
BATCHED = "batched"  # a new order shown by a `new_orders` summary
SHOWN = (POSTED, HANDLED)  # alerts with a message to keep up to date

NEW_WINDOW = timedelta(hours=48)  # older orders seen for the first time are not "new"
CANCEL_WINDOW = timedelta(days=7)  # cancellations older than this are history, not news
BATCH_OVER = 5  # more new orders than this in BATCH_WINDOW: one summary
BATCH_WINDOW = timedelta(minutes=1)
CANDIDATES = 500  # orders looked at per kind per run; the rest wait for the next run

_SELLER = "SELLER"
_BUYER = "BUYER"


def key_for(kind: str, subject: str) -> str:
    return f"{kind}:{subject}"


def subject_of(key: str) -> str:
    return key.partition(":")[2]


# --- pure selection ----------------------------------------------------------------------


def event_due(
    order: Order,
    *,
    reserved: bool,
    alerted: frozenset[str] | set[str],
    now: datetime,
    new_window: timedelta = NEW_WINDOW,
    cancel_window: timedelta = CANCEL_WINDOW,
) -> str | None:
    """The kind of alert `order` is owed now, or None.

    `reserved`: units were reserved on Etsy for it at some point (it has reservations).
    `alerted`: the kinds of alert it already has (any state)."""
    status = order.tiktok_status
    if status == sections.CANCELLED:
        if order.failure_reason in sections.DELIVERY_FAILURES:
            return None if DELIVERY_FAILED in alerted else DELIVERY_FAILED
        initiator = (order.cancel_initiator or "").upper()
        # A system cancellation is news only once its reason key is known: it may yet turn
        # out to be a failed delivery, which has an alert of its own.
        known = initiator == _BUYER or order.cancel_reason_key is not None
        when = as_utc(order.cancelled_at or order.updated_at)
        if (
            reserved
            and initiator != _SELLER
            and known
            and when is not None
            and now - when <= cancel_window
            and ORDER_CANCELLED not in alerted
        ):
            return ORDER_CANCELLED
        return None
    if order.placement == "failed" and order.failure_reason in sections.PLACEMENT_FAILURES:
        return None if PLACEMENT_FAILED in alerted else PLACEMENT_FAILED
    if (
        order.placement in ("placed", "skipped")
        and status not in sections.NOT_YET_SHIPPABLE
        and now - as_utc(order.created_at) <= new_window
        and not alerted
    ):
        return NEW_ORDER
    return None


@dataclass(frozen=True)
class Due:
    kind: str
    key: str
    order_id: int
    tiktok_order_id: str


@dataclass(frozen=True)
class Plan:
    singles: tuple[Due, ...]  # one message each
    batch: tuple[Due, ...] = ()  # new orders shown together in one summary


def plan_new_orders(
    due: Sequence[Due], *, recent: int, batch_over: int = BATCH_OVER
) -> tuple[tuple[Due, ...], tuple[Due, ...]]:
    """(singles, batch): new orders get a message each while few arrive; when more than
    `batch_over` arrive within the batch window (`recent` already had their own message in it),
    the rest go into one summary."""
    new = [d for d in due if d.kind == NEW_ORDER]
    if len(new) + recent > batch_over:
        return (), tuple(new)
    return tuple(new), ()


# --- loading candidates ------------------------------------------------------------------


def _no_alert(kinds: Sequence[str]):
    return ~exists().where(col(Alert.order_id) == col(Order.id), col(Alert.kind).in_(kinds))


def _candidates(session: Session, *, shop_id: int, now: datetime, new_window, cancel_window):
    s = sections.Section
    failed = select(Order).where(
        Order.shop_id == shop_id,
        Order.section == s.FAILED.value,
        (col(Order.failure_reason).in_(sections.PLACEMENT_FAILURES) & _no_alert([PLACEMENT_FAILED]))
        | (
            col(Order.failure_reason).in_(sections.DELIVERY_FAILURES) & _no_alert([DELIVERY_FAILED])
        ),
    )
    cancelled = select(Order).where(
        Order.shop_id == shop_id,
        Order.section == s.CANCELLED.value,
        col(Order.created_at) >= now - cancel_window - timedelta(days=60),
        col(Order.updated_at) >= now - cancel_window,
        _no_alert([ORDER_CANCELLED]),
    )
    new = select(Order).where(
        Order.shop_id == shop_id,
        col(Order.created_at) >= now - new_window,
        col(Order.placement).in_(["placed", "skipped"]),
        _no_alert(ORDER_KINDS),
    )
    found: dict[int, Order] = {}
    for query in (failed, cancelled, new):
        for order in session.exec(query.order_by(Order.created_at, Order.id).limit(CANDIDATES)):
            found[order.id] = order
    return sorted(found.values(), key=lambda o: (as_utc(o.created_at), o.id))


def select_due(
    session: Session,
    *,
    shop_id: int,
    now: datetime,
    new_window: timedelta = NEW_WINDOW,
    cancel_window: timedelta = CANCEL_WINDOW,
    batch_over: int = BATCH_OVER,
    batch_window: timedelta = BATCH_WINDOW,
) -> Plan:
    orders = _candidates(
        session, shop_id=shop_id, now=now, new_window=new_window, cancel_window=cancel_window
    )
    ids = [order.id for order in orders]
    reserved = {oid for oid, rs in queries.reservations_of(session, order_ids=ids).items() if rs}
    alerted: dict[int, set[str]] = {oid: set() for oid in ids}
    for alert in queries.alerts_of_orders(
        session,
        shop_id=shop_id,
        order_ids=ids,
        states=(POSTING, PENDING, POSTED, HANDLED, BATCHED),
    ):
        alerted[alert.order_id].add(alert.kind)
    due = []
    for order in orders:
        kind = event_due(
            order,
            reserved=order.id in reserved,
            alerted=alerted[order.id],
            now=now,
            new_window=new_window,
            cancel_window=cancel_window,
        )
        if kind:
            due.append(
                Due(kind, key_for(kind, order.tiktok_order_id), order.id, order.tiktok_order_id)
            )
    recent = queries.count_alerts_since(
        session, shop_id=shop_id, kinds=(NEW_ORDER,), since=now - batch_window
    )
    singles, batch = plan_new_orders(due, recent=recent, batch_over=batch_over)
    others = tuple(d for d in due if d.kind != NEW_ORDER)
    return Plan(singles=others + singles, batch=batch)


def batch_key(now: datetime) -> str:
    return key_for(NEW_ORDERS, now.strftime("%Y%m%dT%H%M%S.%fZ"))


def batch_detail(summary_key: str) -> str:
    """The `detail` of each order row a summary covers (found again by equality)."""
    return json.dumps({"batch": summary_key}, sort_keys=True)


def claim_rows(due: Due | None, *, shop_id: int, now: datetime, batch: Sequence[Due] = ()):
    """The rows to insert to claim `due` (one alert) or a summary covering `batch`."""
    if due is not None:
        return [
            Alert(
                shop_id=shop_id,
                key=due.key,
                kind=due.kind,
                order_id=due.order_id,
                state=POSTING,
                detail="{}",
                created_at=now,
                updated_at=now,
            )
        ]
    key = batch_key(now)
    rows = [
        Alert(
            shop_id=shop_id,
            key=key,
            kind=NEW_ORDERS,
            state=POSTING,
            detail=json.dumps({"count": len(batch)}),
            created_at=now,
            updated_at=now,
        )
    ]
    rows += [
        Alert(
            shop_id=shop_id,
            key=d.key,
            kind=NEW_ORDER,
            order_id=d.order_id,
            state=BATCHED,
            detail=batch_detail(key),
            created_at=now,
            updated_at=now,
        )
        for d in batch
    ]
    return rows


# --- what an alert shows ------------------------------------------------------------------


@dataclass(frozen=True)
class AlertView:
    """Everything an alert message shows; no buyer contact data is stored, so none is here."""

    key: str
    kind: str
    state: str
    handled_by: str | None
    order: Order | None = None
    lines: list[OrderLine] = field(default_factory=list)
    reservations: list[Reservation] = field(default_factory=list)
    events: list[OrderEvent] = field(default_factory=list)  # newest first
    members: list[Order] = field(default_factory=list)  # a summary's orders, oldest first
    member_count: int = 0


def load_view(session: Session, alert: Alert, *, members_shown: int = 10) -> AlertView:
    base = {"key": alert.key, "kind": alert.kind, "state": alert.state}
    if alert.kind == NEW_ORDERS:
        ids = queries.batch_members(
            session, shop_id=alert.shop_id, kind=NEW_ORDER, detail=batch_detail(alert.key)
        )
        members = list(
            session.exec(
                select(Order)
                .where(col(Order.id).in_(ids[:members_shown]))
                .order_by(Order.created_at, Order.id)
            )
        )
        return AlertView(
            **base, handled_by=alert.handled_by, members=members, member_count=len(ids)
        )
    order = session.get(Order, alert.order_id) if alert.order_id else None
    if order is None:
        return AlertView(**base, handled_by=alert.handled_by)
    return AlertView(
        **base,
        handled_by=alert.handled_by,
        order=order,
        lines=queries.lines_of(session, order_ids=[order.id])[order.id],
        reservations=queries.reservations_of(session, order_ids=[order.id])[order.id],
        events=queries.events_of(session, order_id=order.id, limit=20),
    )


def summary_orders(session: Session, *, shop_id: int, key: str) -> list[int]:
    """The order ids (database ids) a `new_orders` summary stands for."""
    return [
        oid
        for oid in queries.batch_members(
            session, shop_id=shop_id, kind=NEW_ORDER, detail=batch_detail(key)
        )
        if oid is not None
    ]


# --- the daily digest ----------------------------------------------------------------------


@dataclass(frozen=True)
class DigestView:
    day: str  # local date, ISO
    timezone: str
    counts: dict[str, int]
    failures: dict[str, int]  # reason → orders in Failed
    failed: list[Order]  # oldest first
    waiting: list[Order]  # awaiting shipment, oldest first
    last_fetch: FetchState | None
    now: datetime


def digest_day(now: datetime, zone: tzinfo) -> str:
    return now.astimezone(zone).date().isoformat()


def load_digest(session: Session, *, shop_id: int, now: datetime, zone: tzinfo) -> DigestView:
    s = sections.Section
    return DigestView(
        day=digest_day(now, zone),
        timezone=str(zone),
        counts=queries.section_counts(session, shop_id=shop_id),
        failures=queries.failure_counts(session, shop_id=shop_id),
        failed=queries.oldest_in_section(
            session, shop_id=shop_id, section=s.FAILED.value, limit=10
        ),
        waiting=queries.oldest_in_section(
            session, shop_id=shop_id, section=s.AWAITING_SHIPMENT.value, limit=5
        ),
        last_fetch=queries.last_fetch(session, shop_id=shop_id),
        now=now,
    )


# --- what buttons on alerts do -------------------------------------------------------------


@dataclass(frozen=True)
class Handled:
    done: bool  # this call marked it
    alert: Alert | None  # None: no such alert


def mark_handled(sessions, *, shop_id: int, key: str, actor: str, now: datetime) -> Handled:
    """Mark a posted alert handled, exactly once however often clicked; the order's history
    says who did it."""
    with transaction(sessions) as session:
        alert = queries.alert_by_key(session, key=key)
        if alert is None or alert.shop_id != shop_id:
            return Handled(False, None)
        done = queries.handle_alert(session, key=key, actor=actor, now=now)
        if done and alert.order_id is not None:
            queries.add_event(
                session,
                order_id=alert.order_id,
                at=now,
                actor=actor,
                kind="alert_handled",
                detail=alert.kind.replace("_", " "),
            )
        session.flush()
        session.refresh(alert)
        return Handled(done, alert)


@dataclass(frozen=True)
class Summary:
    key: str
    orders: list[Order]  # oldest first
    lines: dict[int, list[OrderLine]]
    reservations: dict[int, list[Reservation]]


def load_summary(session: Session, *, shop_id: int, key: str) -> Summary | None:
    """The orders a `new_orders` summary stands for, or None for an unknown summary."""
    alert = queries.alert_by_key(session, key=key)
    if alert is None or alert.kind != NEW_ORDERS or alert.shop_id != shop_id:
        return None
    ids = summary_orders(session, shop_id=shop_id, key=key)
    orders = list(
        session.exec(
            select(Order).where(col(Order.id).in_(ids)).order_by(Order.created_at, Order.id)
        )
    )
    ids = [order.id for order in orders]
    return Summary(
        key=key,
        orders=orders,
        lines=queries.lines_of(session, order_ids=ids),
        reservations=queries.reservations_of(session, order_ids=ids),
    )
