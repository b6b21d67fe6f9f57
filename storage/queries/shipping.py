"""How orders ship and by when, and the ships and corrections asked of TikTok.

Keyword-only functions, the Session first; callers decide when to commit. A shipment's `key` is
unique: inserting it claims the TikTok call, so a second claim of the same call fails.
"""

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, exists, select

from storage.models import Alert, Order, OrderShipping, Shipment
from storage.states import ShipmentState

# --- what TikTok says about an order's shipping ----------------------------------------------


def shipping_of(session: Session, *, order_ids: Sequence[int]) -> dict[int, OrderShipping]:
    if not order_ids:
        return {}
    rows = session.exec(select(OrderShipping).where(col(OrderShipping.order_id).in_(order_ids)))
    return {row.order_id: row for row in rows}


def save_shipping(session: Session, *, facts: OrderShipping) -> None:
    """Store what TikTok last said (the caller's ingest decided the view is not stale).
    Tracking TikTok does not (yet) show is kept: it may be ours, sent a moment ago."""
    stored = session.get(OrderShipping, facts.order_id)
    if stored is None:
        session.add(facts)
        return
    stored.shipping_type = facts.shipping_type
    stored.delivery_option_id = facts.delivery_option_id or stored.delivery_option_id
    stored.ship_by = facts.ship_by
    stored.auto_cancel_at = facts.auto_cancel_at
    stored.shipped_at = facts.shipped_at or stored.shipped_at
    if facts.tracking_number:
        stored.tracking_number = facts.tracking_number
        stored.provider_id = facts.provider_id or stored.provider_id
        stored.provider_name = facts.provider_name or stored.provider_name


def record_tracking(
    session: Session,
    *,
    order_id: int,
    tracking_number: str,
    provider_id: str,
    provider_name: str,
    shipped_at: datetime | None = None,
) -> None:
    """The tracking TikTok accepted for the order (and when it shipped, the first time)."""
    values: dict = {
        "tracking_number": tracking_number,
        "provider_id": provider_id,
        "provider_name": provider_name,
    }
    move = update(OrderShipping).where(col(OrderShipping.order_id) == order_id)
    session.execute(move.values(**values), execution_options={"synchronize_session": False})
    if shipped_at is not None:
        session.execute(
            move.where(col(OrderShipping.shipped_at).is_(None)).values(shipped_at=shipped_at),
            execution_options={"synchronize_session": False},
        )


def move_tiktok_status(
    session: Session,
    *,
    order_id: int,
    expected: Collection[str],
    to: str,
    partial: bool,
) -> bool:
    """Compare-and-set: the order's TikTok status becomes `to` only if it is one of `expected`
    as stored (a fetch may have moved it meanwhile)."""
    moved = session.execute(
        update(Order)
        .where(col(Order.id) == order_id, col(Order.tiktok_status).in_(expected))
        .values(tiktok_status=to, partial=partial),
        execution_options={"synchronize_session": False},
    )
    return moved.rowcount == 1


# --- orders still to ship --------------------------------------------------------------------


def _to_ship(
    shop_id: int, statuses: Collection[str], sections: Collection[str], shipping_type: str
):
    return (
        select(Order, OrderShipping)
        .join(OrderShipping, col(OrderShipping.order_id) == col(Order.id))
        .where(
            Order.shop_id == shop_id,
            col(Order.section).in_(sections),  # what ix_orders_section_created narrows by
            col(Order.tiktok_status).in_(statuses),
            OrderShipping.shipping_type == shipping_type,
            col(OrderShipping.ship_by).is_not(None),
        )
    )


def orders_to_ship(
    session: Session,
    *,
    shop_id: int,
    statuses: Collection[str],
    sections: Collection[str],
    shipping_type: str,
    page: int,
    page_size: int,
) -> list[tuple[Order, OrderShipping]]:
    """Orders in `statuses` (and `sections`, the sections those statuses are in) that the
    seller ships, soonest ship-by time first."""
    query = (
        _to_ship(shop_id, statuses, sections, shipping_type)
        .order_by(col(OrderShipping.ship_by), col(Order.id))
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return [(order, shipping) for order, shipping in session.exec(query)]


def count_to_ship(
    session: Session,
    *,
    shop_id: int,
    statuses: Collection[str],
    sections: Collection[str],
    shipping_type: str,
    ship_by_before: datetime | None = None,
) -> int:
    """How many such orders there are (with a ship-by time before `ship_by_before`, if given)."""
    query = _to_ship(shop_id, statuses, sections, shipping_type).with_only_columns(func.count())
    if ship_by_before is not None:
        query = query.where(col(OrderShipping.ship_by) < ship_by_before)
    return session.execute(query).scalar_one()


def to_ship_without_alert(
    session: Session,
    *,
    shop_id: int,
    statuses: Collection[str],
    sections: Collection[str],
    shipping_type: str,
    ship_by_before: datetime,
    auto_cancel_after: datetime,
    kind: str,
    limit: int,
) -> list[Order]:
    """Orders to ship whose ship-by time is before `ship_by_before`, not auto-cancelled by
    `auto_cancel_after`, that have no `kind` alert yet; soonest first."""
    no_alert = ~exists().where(col(Alert.order_id) == col(Order.id), col(Alert.kind) == kind)
    not_cancelled = col(OrderShipping.auto_cancel_at).is_(None) | (
        col(OrderShipping.auto_cancel_at) > auto_cancel_after
    )
    query = (
        _to_ship(shop_id, statuses, sections, shipping_type)
        .where(col(OrderShipping.ship_by) < ship_by_before, not_cancelled, no_alert)
        .order_by(col(OrderShipping.ship_by), col(Order.id))
        .limit(limit)
    )
    return [order for order, _ in session.exec(query)]


# --- shipments: claimed before TikTok's call -------------------------------------------------


def claim_shipment(session: Session, *, shipment: Shipment) -> bool:
    """Insert the claim; False (and nothing written) when its key is claimed already."""
    try:
        with session.begin_nested():
            session.add(shipment)
            session.flush()
    except IntegrityError:
        return False
    return True


def shipment_by_key(session: Session, *, key: str) -> Shipment | None:
    return session.exec(select(Shipment).where(Shipment.key == key)).first()


def shipments_of(session: Session, *, order_id: int) -> list[Shipment]:
    return list(
        session.exec(select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id))
    )


def finish_shipment(
    session: Session,
    *,
    shipment_id: int,
    now: datetime,
    package_id: str | None = None,
    warning: str | None = None,
) -> bool:
    """Compare-and-set: a pending claim becomes done, with what TikTok answered."""
    done = session.execute(
        update(Shipment)
        .where(col(Shipment.id) == shipment_id, col(Shipment.state) == ShipmentState.PENDING)
        .values(state=ShipmentState.DONE, finished_at=now, package_id=package_id, warning=warning),
        execution_options={"synchronize_session": False},
    )
    return done.rowcount == 1


def release_shipment(session: Session, *, shipment_id: int) -> bool:
    """Drop a pending claim whose call certainly did nothing, so it may be asked again."""
    dropped = session.execute(
        delete(Shipment).where(
            col(Shipment.id) == shipment_id, col(Shipment.state) == ShipmentState.PENDING
        ),
        execution_options={"synchronize_session": False},
    )
    return dropped.rowcount == 1


def stale_shipments(
    session: Session, *, shop_id: int, requested_before: datetime, limit: int
) -> list[Shipment]:
    """Claims still pending that were taken before `requested_before`: their answer was lost
    (or their process died), oldest first."""
    return list(
        session.exec(
            select(Shipment)
            .join(Order, col(Order.id) == col(Shipment.order_id))
            .where(
                Order.shop_id == shop_id,
                Shipment.state == ShipmentState.PENDING,
                col(Shipment.requested_at) < requested_before,
            )
            .order_by(col(Shipment.requested_at), col(Shipment.id))
            .limit(limit)
        )
    )
