"""Which channel alerts are due, derived from stored state only (orders, events, reservations).

An alert is one (order, event): its `key` is `<kind>:<TikTok order id>` and the alerts table
holds each key once, so what is due is simply "the order is in this state and has no alert of
this kind yet". After a crash the next run finds the same things due.

    new_order           an order placed on Etsy (or shipped by TikTok) in the last NEW_WINDOW,
                        with no alert of any kind yet (a failed one gets its failure alert)
    new_orders          one summary standing for several new orders that arrive together (more
                        than BATCH_OVER a minute); each order it covers still gets its own
                        `new_order` row, state `batched`, whose `batch_key` is the summary's key
    placement_failed    could not be placed on Etsy (sku_unmatched, sku_ambiguous, …)
    placement_failures  one alert for several placement failures that arrive together on one
                        problem (the same reason and failed SKUs); its orders' rows are
                        `placement_failed`, `batched`, as a summary's are
    delivery_failed     TikTok cancelled it for a delivery reason (decided from the reason key)
    order_cancelled     a buyer or system cancellation of an order whose units were reserved
    digest              the daily digest, keyed by the local date
    request, request_reminder   return, refund and buyer cancellation requests (`requests`)
    ship_deadline       an order still to ship whose ship-by time is near (`deadlines`)

What arrives later is news of its own: it gets a message of its own (a single, or another
summary or group), never a place in a message already posted.

`event_due` is pure, over rows the queries load (`select_due`); how what is due goes out
(summaries, failure groups, at most so many a run) is `planning`, pure too; the tests drive both
with `now` passed in. The `claim_*` functions build the rows whose insertion claims what is due.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from storage import queries
from storage.models import Alert, Order
from storage.states import AlertKind, AlertState, Placement
from sync import sections
from sync.alerts.culprits import failing_skus
from sync.alerts.deadlines import SHIP_WARN, deadlines_due
from sync.alerts.planning import (
    BATCH_OVER,
    Due,
    FailureGroup,
    Plan,
    group_failures,
    plan_new_orders,
    within_budget,
)
from sync.alerts.requests import requests_due
from sync.alerts.stock import STOCK_KINDS, claim_stock, stock_due
from sync.clock import as_utc

ORDER_KINDS = (
    AlertKind.NEW_ORDER,
    AlertKind.PLACEMENT_FAILED,
    AlertKind.DELIVERY_FAILED,
    AlertKind.ORDER_CANCELLED,
)
SHOWN = (AlertState.POSTED, AlertState.HANDLED)  # alerts with a message to keep up to date

NEW_WINDOW = timedelta(hours=48)  # older orders seen for the first time are not "new"
CANCEL_WINDOW = timedelta(days=7)  # cancellations older than this are history, not news
BATCH_WINDOW = timedelta(minutes=1)
POSTS_PER_RUN = 10  # new messages a run posts (about one a second); the rest wait a run
RECONCILE_AFTER = timedelta(minutes=10)  # a claim this old was cut short: look, then post
CANDIDATES = 500  # orders looked at per kind per run; the rest wait for the next run

_SELLER = "SELLER"
_BUYER = "BUYER"
_SETTLED = (Placement.PLACED, Placement.SKIPPED)


@dataclass(frozen=True)
class AlertRules:
    """When alerts are due, when new orders are summarised, how many messages a run posts, and
    when a claim left `posting` counts as cut short. The defaults are the product's; tests and
    benchmarks change them."""

    new_window: timedelta = NEW_WINDOW
    cancel_window: timedelta = CANCEL_WINDOW
    batch_over: int = BATCH_OVER
    batch_window: timedelta = BATCH_WINDOW
    posts_per_run: int = POSTS_PER_RUN
    reconcile_after: timedelta = RECONCILE_AFTER
    ship_warn: timedelta = SHIP_WARN  # the deadline alert, this long before the ship-by time


def key_for(kind: str, subject: str) -> str:
    return f"{kind}:{subject}"


def subject_of(key: str) -> str:
    return key.partition(":")[2]


def _instant(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%S.%fZ")


def batch_key(now: datetime) -> str:
    """The key of a summary posted at `now` (one per instant: a later one is another summary)."""
    return key_for(AlertKind.NEW_ORDERS, _instant(now))


def group_key(now: datetime, first_order: str) -> str:
    """The key of a failure group claimed at `now` whose first order is `first_order` (an order
    is in one group at most, so no two groups share a key)."""
    return key_for(AlertKind.PLACEMENT_FAILURES, f"{_instant(now)}.{first_order}")


# --- pure selection ----------------------------------------------------------------------


def event_due(
    order: Order,
    *,
    reserved: bool,
    alerted: frozenset[str] | set[str],
    now: datetime,
    new_window: timedelta = NEW_WINDOW,
    cancel_window: timedelta = CANCEL_WINDOW,
) -> AlertKind | None:
    """The kind of alert `order` is owed now, or None.

    `reserved`: units were reserved on Etsy for it at some point (it has reservations).
    `alerted`: the kinds of alert it already has (any state)."""
    status = order.tiktok_status
    if status == sections.CANCELLED:
        if order.failure_reason in sections.DELIVERY_FAILURES:
            return None if AlertKind.DELIVERY_FAILED in alerted else AlertKind.DELIVERY_FAILED
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
            and AlertKind.ORDER_CANCELLED not in alerted
        ):
            return AlertKind.ORDER_CANCELLED
        return None
    if order.placement == Placement.FAILED and order.failure_reason in sections.PLACEMENT_FAILURES:
        return None if AlertKind.PLACEMENT_FAILED in alerted else AlertKind.PLACEMENT_FAILED
    if (
        order.placement in _SETTLED
        and status not in sections.NOT_YET_SHIPPABLE
        and now - as_utc(order.created_at) <= new_window
        and not alerted
    ):
        return AlertKind.NEW_ORDER
    return None


# --- what is due now -------------------------------------------------------------------------


def _candidates(session: Session, *, shop_id: int, now: datetime, rules: AlertRules):
    """Orders that may be owed an alert (each query finds at most CANDIDATES), oldest first."""
    s = sections.Section
    failed = queries.failed_without_alert(
        session,
        shop_id=shop_id,
        section=s.FAILED.value,
        reasons={
            AlertKind.PLACEMENT_FAILED: sections.PLACEMENT_FAILURES,
            AlertKind.DELIVERY_FAILED: sections.DELIVERY_FAILURES,
        },
        limit=CANDIDATES,
    )
    cancelled = queries.cancelled_without_alert(
        session,
        shop_id=shop_id,
        section=s.CANCELLED.value,
        kind=AlertKind.ORDER_CANCELLED,
        created_since=now - rules.cancel_window - timedelta(days=60),
        updated_since=now - rules.cancel_window,
        limit=CANDIDATES,
    )
    new = queries.new_without_alert(
        session,
        shop_id=shop_id,
        created_since=now - rules.new_window,
        placements=_SETTLED,
        kinds=ORDER_KINDS,
        limit=CANDIDATES,
    )
    found = {order.id: order for order in (*failed, *cancelled, *new)}
    return sorted(found.values(), key=lambda o: (as_utc(o.created_at), o.id))


def select_due(
    session: Session, *, shop_id: int, now: datetime, rules: AlertRules = AlertRules()
) -> Plan:
    orders = _candidates(session, shop_id=shop_id, now=now, rules=rules)
    ids = [order.id for order in orders]
    reserved = {oid for oid, rs in queries.reservations_of(session, order_ids=ids).items() if rs}
    alerted: dict[int, set[str]] = {oid: set() for oid in ids}
    for alert in queries.alerts_of_orders(
        session, shop_id=shop_id, order_ids=ids, states=tuple(AlertState)
    ):
        alerted[alert.order_id].add(alert.kind)
    due = []
    for order in orders:
        kind = event_due(
            order,
            reserved=order.id in reserved,
            alerted=alerted[order.id],
            now=now,
            new_window=rules.new_window,
            cancel_window=rules.cancel_window,
        )
        if kind:
            due.append(
                Due(kind, key_for(kind, order.tiktok_order_id), order.id, order.tiktok_order_id)
            )
    due = _with_problems(session, shop_id=shop_id, due=due, orders=orders)
    due += requests_due(session, shop_id=shop_id, now=now, new_window=rules.new_window)
    due += deadlines_due(session, shop_id=shop_id, now=now, warn=rules.ship_warn, limit=CANDIDATES)
    recent = queries.count_alerts_since(
        session, shop_id=shop_id, kinds=(AlertKind.NEW_ORDER,), since=now - rules.batch_window
    )
    singles, batch = plan_new_orders(due, recent=recent, batch_over=rules.batch_over)
    groups, failures = group_failures(due)
    others = tuple(
        d for d in due if d.kind not in (AlertKind.NEW_ORDER, AlertKind.PLACEMENT_FAILED)
    ) + tuple(stock_due(session, shop_id=shop_id, now=now))
    plan = Plan(singles=failures + others + singles, batch=batch, groups=groups)
    return within_budget(plan, rules.posts_per_run)


def _with_problems(
    session: Session, *, shop_id: int, due: list[Due], orders: Sequence[Order]
) -> list[Due]:
    """`due`, its placement failures told what failed (reason, SKUs, detail)."""
    failed = {d.order_id for d in due if d.kind == AlertKind.PLACEMENT_FAILED}
    if not failed:
        return due
    by_id = {order.id: order for order in orders}
    lines = queries.lines_of(session, order_ids=sorted(failed))
    mappings = queries.sku_mappings(session, shop_id=shop_id)
    told = []
    for d in due:
        if d.order_id in failed:
            order = by_id[d.order_id]
            skus = failing_skus(order.failure_detail, lines[d.order_id], mappings)
            d = Due(
                d.kind,
                d.key,
                d.order_id,
                d.tiktok_order_id,
                reason=order.failure_reason,
                skus=skus,
                detail=order.failure_detail,
            )
        told.append(d)
    return told


# --- the rows that claim an alert -----------------------------------------------------------


def _claim(key: str, kind: str, *, shop_id: int, now: datetime, **more) -> Alert:
    return Alert(
        shop_id=shop_id,
        key=key,
        kind=kind,
        state=more.pop("state", AlertState.POSTING),
        created_at=now,
        updated_at=now,
        **more,
    )


def claim_single(due: Due, *, shop_id: int, now: datetime) -> Alert:
    """The row whose insertion claims one alert (state `posting`: its post is under way)."""
    if due.kind in STOCK_KINDS:
        return claim_stock(due, shop_id=shop_id, now=now)
    return _claim(due.key, due.kind, shop_id=shop_id, now=now, order_id=due.order_id)


def claim_members(
    members: Sequence[Due], *, shop_id: int, now: datetime, summary_key: str
) -> list[Alert]:
    """One `batched` row per order a summary or a group shows (its key in `batch_key`)."""
    return [
        _claim(
            d.key,
            d.kind,
            shop_id=shop_id,
            now=now,
            order_id=d.order_id,
            state=AlertState.BATCHED,
            batch_key=summary_key,
        )
        for d in members
    ]


def claim_batch(batch: Sequence[Due], *, shop_id: int, now: datetime) -> list[Alert]:
    """The rows that claim a new summary of `batch`: the summary's first, then its members."""
    key = batch_key(now)
    summary = _claim(key, AlertKind.NEW_ORDERS, shop_id=shop_id, now=now)
    return [summary, *claim_members(batch, shop_id=shop_id, now=now, summary_key=key)]


def claim_group(group: FailureGroup, *, shop_id: int, now: datetime) -> list[Alert]:
    """The rows that claim the alert of a failure group: the group's first (with what it is
    about), then one per order in it."""
    key = group_key(now, group.members[0].tiktok_order_id)
    head = _claim(
        key,
        AlertKind.PLACEMENT_FAILURES,
        shop_id=shop_id,
        now=now,
        failure_reason=group.reason,
        failure_detail=group.members[0].detail,
        failed_skus=json.dumps(list(group.skus)) if group.skus else None,
    )
    return [head, *claim_members(group.members, shop_id=shop_id, now=now, summary_key=key)]


def claim_digest(day: str, *, shop_id: int, now: datetime) -> Alert:
    """The row that claims the digest of the local `day` (one a day, whoever posts it)."""
    return _claim(key_for(AlertKind.DIGEST, day), AlertKind.DIGEST, shop_id=shop_id, now=now)
