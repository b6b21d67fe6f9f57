"""What an alert, a summary of new orders, a failure group and the daily digest show, loaded
from the database.

The views hold rows only; `commands.alerts` turns them into words. No buyer contact data is
stored, so none is here.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from sqlmodel import Session

from storage import queries
from storage.models import (
    AfterSalesRequest,
    Alert,
    FetchState,
    Order,
    OrderEvent,
    OrderLine,
    OrderShipping,
    Reservation,
)
from storage.states import AlertKind, Placement
from sync import sections
from sync.alerts.culprits import failing_skus
from sync.alerts.requests import request_id_of
from sync.alerts.selection import NEW_WINDOW
from sync.alerts.stock import STOCK_KINDS
from sync.shipping import TO_SHIP, TO_SHIP_SECTIONS
from sync.tiktok.models import ShippingType

MEMBERS_SHOWN = 10  # orders a summary or group message lists; "View all" shows the rest
GROUPS = (AlertKind.NEW_ORDERS, AlertKind.PLACEMENT_FAILURES)  # alerts that stand for orders


@dataclass(frozen=True)
class AlertView:
    """Everything an alert message shows."""

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
    window: timedelta | None = None  # a summary: how new its orders are (created within)
    # A placement failure, or a group of them: the reason, detail and TikTok SKUs that failed.
    failure_reason: str | None = None
    failure_detail: str | None = None
    failed_skus: tuple[str, ...] = ()
    failing: int = 0  # a group: how many of its orders still fail
    request: AfterSalesRequest | None = None  # a request alert's request (SPEC §4.2)
    now: datetime | None = None  # a request alert: when it was rendered (the time left)
    shipping: OrderShipping | None = None  # an order's: how it ships and by when


def _oldest_first(orders: list[Order]) -> list[Order]:
    return sorted(orders, key=lambda o: (o.created_at, o.id))


REQUEST_KINDS = (AlertKind.REQUEST, AlertKind.REQUEST_REMINDER)


def load_view(
    session: Session,
    alert: Alert,
    *,
    new_window: timedelta = NEW_WINDOW,
    now: datetime | None = None,
) -> AlertView:
    base = {
        "key": alert.key,
        "kind": alert.kind,
        "state": alert.state,
        "handled_by": alert.handled_by,
    }
    if alert.kind in GROUPS:
        members = queries.summary_members(session, shop_id=alert.shop_id, batch_key=alert.key)
        more = {"window": new_window} if alert.kind == AlertKind.NEW_ORDERS else {}
        if alert.kind == AlertKind.PLACEMENT_FAILURES:
            more = {
                "failure_reason": alert.failure_reason,
                "failure_detail": alert.failure_detail,
                "failed_skus": tuple(json.loads(alert.failed_skus or "[]")),
                "failing": sum(1 for o in members if o.placement == Placement.FAILED),
            }
        return AlertView(
            **base,
            members=_oldest_first(members)[:MEMBERS_SHOWN],
            member_count=len(members),
            **more,
        )
    if alert.kind in STOCK_KINDS:  # about a SKU: what the row kept
        return AlertView(
            **base,
            failure_detail=alert.failure_detail,
            failed_skus=tuple(json.loads(alert.failed_skus or "[]")),
        )
    order = session.get(Order, alert.order_id) if alert.order_id else None
    if order is None:
        return AlertView(**base)
    lines = queries.lines_of(session, order_ids=[order.id])[order.id]
    failed: dict = {}
    if alert.kind == AlertKind.PLACEMENT_FAILED and order.placement == Placement.FAILED:
        mappings = queries.sku_mappings(session, shop_id=alert.shop_id)
        failed = {
            "failure_reason": order.failure_reason,
            "failure_detail": order.failure_detail,
            "failed_skus": failing_skus(order.failure_detail, lines, mappings),
        }
    if alert.kind in REQUEST_KINDS:
        failed = {
            "request": queries.request_by_id(
                session, shop_id=alert.shop_id, request_id=request_id_of(alert.key)
            ),
            "now": now,
        }
    return AlertView(
        **base,
        order=order,
        lines=lines,
        reservations=queries.reservations_of(session, order_ids=[order.id])[order.id],
        events=queries.events_of(session, order_id=order.id, limit=20),
        shipping=queries.shipping_of(session, order_ids=[order.id]).get(order.id),
        **failed,
    )


@dataclass(frozen=True)
class Summary:
    """Every order a summary or a failure group stands for (what "View all" lists)."""

    key: str
    orders: list[Order]  # oldest first
    lines: dict[int, list[OrderLine]]
    reservations: dict[int, list[Reservation]]


def load_summary(
    session: Session, *, shop_id: int, key: str, kind: str = AlertKind.NEW_ORDERS
) -> Summary | None:
    """The orders the `kind` alert `key` stands for, or None for an unknown one."""
    alert = queries.alert_by_key(session, key=key)
    if alert is None or alert.kind != kind or alert.shop_id != shop_id:
        return None
    orders = _oldest_first(queries.summary_members(session, shop_id=shop_id, batch_key=key))
    ids = [order.id for order in orders]
    return Summary(
        key=key,
        orders=orders,
        lines=queries.lines_of(session, order_ids=ids),
        reservations=queries.reservations_of(session, order_ids=ids),
    )


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
    pushes: dict[str, int] = field(default_factory=dict)  # stock pushes of the last day, by state
    open_requests: int = 0  # returns, refunds and buyer cancellations waiting (SPEC §4.2)
    # Seller-shipped orders still to ship: ship-by time later today (local), and past it.
    ships_due_today: int = 0
    ships_late: int = 0


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
        pushes=queries.push_counts(session, shop_id=shop_id, since=now - timedelta(days=1)),
        open_requests=queries.count_open_requests(session, shop_id=shop_id),
        **_ships_due(session, shop_id=shop_id, now=now, zone=zone),
    )


def _ships_due(session: Session, *, shop_id: int, now: datetime, zone: tzinfo) -> dict[str, int]:
    local = now.astimezone(zone)
    day_end = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), zone)
    where = {
        "shop_id": shop_id,
        "statuses": TO_SHIP,
        "sections": TO_SHIP_SECTIONS,
        "shipping_type": ShippingType.SELLER,
    }
    late = queries.count_to_ship(session, **where, ship_by_before=now)
    by_day_end = queries.count_to_ship(session, **where, ship_by_before=day_end)
    return {"ships_due_today": by_day_end - late, "ships_late": late}
