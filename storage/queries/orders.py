"""Orders, their lines and reservations, section counts and history.

Keyword-only functions, the Session first; callers decide when to commit. A change that
depends on an order's state is a compare-and-set on the state as stored when it is written
(`UPDATE … WHERE placement = …`), never a write-back of a row read earlier: a webhook refresh
or a Slack action may have moved the order in between.
"""

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, tuple_, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from storage.models import (
    Order,
    OrderEvent,
    OrderLine,
    Reservation,
    SectionCount,
)
from storage.states import Placement

# TikTok's cancellation initiators that are people (the buyer, the seller): their cancels give
# the units back; the reason of any other (TikTok's system) has to be looked up first.
USER_CANCEL_INITIATORS = ("BUYER", "SELLER")

# --- orders ------------------------------------------------------------------------------


def order_by_tiktok_id(session: Session, *, shop_id: int, tiktok_order_id: str) -> Order | None:
    """The shop's order with this TikTok id (an id someone typed or clicked may be any)."""
    return session.exec(
        select(Order).where(Order.shop_id == shop_id, Order.tiktok_order_id == tiktok_order_id)
    ).first()


def orders_by_tiktok_ids(session: Session, *, tiktok_order_ids: Iterable[str]) -> dict[str, Order]:
    ids = list(tiktok_order_ids)
    if not ids:
        return {}
    rows = session.exec(select(Order).where(col(Order.tiktok_order_id).in_(ids)))
    return {order.tiktok_order_id: order for order in rows}


def lines_of(session: Session, *, order_ids: Sequence[int]) -> dict[int, list[OrderLine]]:
    result: dict[int, list[OrderLine]] = {order_id: [] for order_id in order_ids}
    if order_ids:
        rows = session.exec(
            select(OrderLine).where(col(OrderLine.order_id).in_(order_ids)).order_by(OrderLine.id)
        )
        for line in rows:
            result[line.order_id].append(line)
    return result


def reservations_of(session: Session, *, order_ids: Sequence[int]) -> dict[int, list[Reservation]]:
    result: dict[int, list[Reservation]] = {order_id: [] for order_id in order_ids}
    if order_ids:
        rows = session.exec(
            select(Reservation)
            .where(col(Reservation.order_id).in_(order_ids))
            .order_by(Reservation.id)
        )
        for reservation in rows:
            result[reservation.order_id].append(reservation)
    return result


def order_ids_with_placement(
    session: Session, *, shop_id: int, placement: str, limit: int
) -> list[int]:
    return list(
        session.exec(
            select(Order.id)
            .where(Order.shop_id == shop_id, Order.placement == placement)
            .order_by(Order.created_at, Order.id)
            .limit(limit)
        )
    )


def pending_orders(session: Session, *, order_ids: Sequence[int]) -> list[Order]:
    """Those of `order_ids` still pending, oldest first (the order a batch serves them in)."""
    return list(
        session.exec(
            select(Order)
            .where(col(Order.id).in_(order_ids), Order.placement == Placement.PENDING)
            .order_by(Order.created_at, Order.id)
        )
    )


def cancelled_without_reason(session: Session, *, shop_id: int, limit: int) -> list[Order]:
    """Orders TikTok shows cancelled, not by the buyer or seller, whose reason key is unknown."""
    return list(
        session.exec(
            select(Order)
            .where(
                Order.shop_id == shop_id,
                Order.tiktok_status == "CANCELLED",
                col(Order.cancel_reason_key).is_(None),
                col(Order.cancel_initiator).not_in(USER_CANCEL_INITIATORS)
                | col(Order.cancel_initiator).is_(None),
            )
            .limit(limit)
        )
    )


def move_placement(
    session: Session,
    *,
    order_id: int,
    expected: Collection[str],
    to: str,
    failure_reasons: Collection[str] | None = None,
) -> bool:
    """Compare-and-set: move the order to placement `to` only if its stored placement is one
    of `expected` (and, if given, its failure reason one of `failure_reasons`). False when the
    order was not in such a state; once moved, the transaction holds its row until commit."""
    move = update(Order).where(col(Order.id) == order_id, col(Order.placement).in_(expected))
    if failure_reasons is not None:
        move = move.where(col(Order.failure_reason).in_(failure_reasons))
    moved = session.execute(
        move.values(placement=to), execution_options={"synchronize_session": False}
    )
    return moved.rowcount == 1


MOVES_PER_STATEMENT = 500  # ids per IN list, well under every database's parameter limit


def move_placements(
    session: Session, *, order_ids: Iterable[int], expected: Collection[str], to: str
) -> set[int]:
    """`move_placement` for many orders, one statement per 500: the ids that moved (each
    row compared and set on its own, by the statement's WHERE)."""
    ids = sorted(set(order_ids))
    moved: set[int] = set()
    for start in range(0, len(ids), MOVES_PER_STATEMENT):
        rows = session.execute(
            update(Order)
            .where(
                col(Order.id).in_(ids[start : start + MOVES_PER_STATEMENT]),
                col(Order.placement).in_(expected),
            )
            .values(placement=to)
            .returning(Order.id),
            execution_options={"synchronize_session": False},
        )
        moved.update(rows.scalars())
    return moved


def order_as_stored(session: Session, *, order_id: int) -> Order:
    """The order's row as stored now, read again (and locked, where the database can)."""
    return session.get(Order, order_id, populate_existing=True, with_for_update=True)


def claim_cancel_reason(session: Session, *, order_id: int, reason_key: str) -> bool:
    """Compare-and-set: store the reason key TikTok gave for a cancellation, once; False when
    the key was known already."""
    claimed = session.execute(
        update(Order)
        .where(col(Order.id) == order_id, col(Order.cancel_reason_key).is_(None))
        .values(cancel_reason_key=reason_key),
        execution_options={"synchronize_session": False},
    )
    return claimed.rowcount == 1


def claim_cancel(session: Session, *, order_id: int, actor: str, now: datetime) -> bool:
    """Compare-and-set: True for the one request that may cancel the order on TikTok."""
    claimed = session.execute(
        update(Order)
        .where(col(Order.id) == order_id, col(Order.cancel_requested_at).is_(None))
        .values(cancel_requested_by=actor, cancel_requested_at=now)
    )
    return claimed.rowcount == 1


def release_cancel_claim(session: Session, *, order_id: int, requested_at: datetime) -> bool:
    """Compare-and-set: end the cancel claim taken at `requested_at`, if it is still that one
    (a newer claim is another request's)."""
    released = session.execute(
        update(Order)
        .where(col(Order.id) == order_id, col(Order.cancel_requested_at) == requested_at)
        .values(cancel_requested_by=None, cancel_requested_at=None),
        execution_options={"synchronize_session": False},
    )
    return released.rowcount == 1


def stale_cancel_claims(
    session: Session, *, shop_id: int, cutoff: datetime, limit: int
) -> list[str]:
    """TikTok ids of orders not cancelled whose cancel claim was taken before `cutoff`."""
    return list(
        session.exec(
            select(Order.tiktok_order_id)
            .where(
                Order.shop_id == shop_id,
                col(Order.cancel_requested_at) < cutoff,
                Order.tiktok_status != "CANCELLED",
            )
            .order_by(Order.cancel_requested_at, Order.id)
            .limit(limit)
        )
    )


def hold_stale_cancel_claim(session: Session, *, order_id: int, cutoff: datetime) -> bool:
    """Compare-and-set: True for the one worker that may settle the order's cancel claim, if
    it was taken before `cutoff` and the order is not cancelled; the row is held until commit
    (the update writes nothing new)."""
    held = session.execute(
        update(Order)
        .where(
            col(Order.id) == order_id,
            col(Order.cancel_requested_at) < cutoff,
            Order.tiktok_status != "CANCELLED",
        )
        .values(cancel_requested_by=Order.cancel_requested_by),
        execution_options={"synchronize_session": False},
    )
    return held.rowcount == 1


def delivered_before(
    session: Session, *, shop_id: int, cutoff: datetime, limit: int
) -> list[Order]:
    return list(
        session.exec(
            select(Order)
            .where(
                Order.shop_id == shop_id,
                Order.section == "delivered",
                col(Order.delivered_at) <= cutoff,
                Order.return_requested == False,  # noqa: E712  (SQL comparison)
            )
            .limit(limit)
        )
    )


def page_of_orders(
    session: Session, *, shop_id: int, section: str | None, page: int, page_size: int
) -> list[Order]:
    """Newest first; served by ix_orders_section_created / ix_orders_created."""
    query = select(Order).where(Order.shop_id == shop_id)
    if section is not None:
        query = query.where(Order.section == section)
    query = query.order_by(col(Order.created_at).desc(), col(Order.id).desc())
    return list(session.exec(query.offset((page - 1) * page_size).limit(page_size)))


# --- section counts ----------------------------------------------------------------------


def adjust_section_count(session: Session, *, shop_id: int, section: str, delta: int) -> None:
    result = session.execute(
        update(SectionCount)
        .where(SectionCount.shop_id == shop_id, SectionCount.section == section)
        .values(count=SectionCount.count + delta)
    )
    if result.rowcount == 0:
        session.add(SectionCount(shop_id=shop_id, section=section, count=delta))
        session.flush()


def set_section(session: Session, *, order: Order, section: str) -> bool:
    """Move an order (new or stored) to a section, keeping the counts exact: the section it
    leaves is the one stored when it moves (a compare-and-set), not one read earlier."""
    if order.id is None:  # not inserted yet: its insert carries the section
        adjust_section_count(session, shop_id=order.shop_id, section=section, delta=1)
        order.section = section
        return True
    left = move_section(session, order=order, section=section)
    if left is None:
        return False
    if left:
        adjust_section_count(session, shop_id=order.shop_id, section=left, delta=-1)
    adjust_section_count(session, shop_id=order.shop_id, section=section, delta=1)
    return True


def move_section(session: Session, *, order: Order, section: str) -> str | None:
    """Compare-and-set a stored order's section, leaving the counts to the caller: the
    section it left ("" if none), or None when it was there already."""
    stored = order.section
    while stored != section:
        moved = session.execute(
            update(Order)
            .where(col(Order.id) == order.id, col(Order.section) == stored)
            .values(section=section),
            execution_options={"synchronize_session": False},
        )
        if moved.rowcount == 1:
            set_committed_value(order, "section", section)
            return stored
        stored = session.exec(select(Order.section).where(col(Order.id) == order.id)).one()
    set_committed_value(order, "section", section)
    return None


def adjust_section_counts(session: Session, *, shop_id: int, deltas: dict[str, int]) -> None:
    """Several sections' counts at once (one statement per section that changed)."""
    for section, delta in sorted(deltas.items()):
        if delta:
            adjust_section_count(session, shop_id=shop_id, section=section, delta=delta)


def orders_as_stored(session: Session, *, order_ids: Sequence[int]) -> list[Order]:
    """`order_as_stored` for many orders in one statement."""
    if not order_ids:
        return []
    return list(
        session.exec(
            select(Order)
            .where(col(Order.id).in_(order_ids))
            .order_by(Order.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


def section_counts(session: Session, *, shop_id: int) -> dict[str, int]:
    """Non-empty sections and their counts."""
    rows = session.exec(
        select(SectionCount).where(SectionCount.shop_id == shop_id, SectionCount.count != 0)
    )
    return {row.section: row.count for row in rows}


def recount_sections(session: Session, *, shop_id: int) -> dict[str, int]:
    """The counts from the orders themselves (for checks and repair)."""
    rows = session.exec(
        select(Order.section, func.count()).where(Order.shop_id == shop_id).group_by(Order.section)
    )
    return dict(rows.all())


# --- history -----------------------------------------------------------------------------


def add_event(
    session: Session, *, order_id: int, at: datetime, actor: str, kind: str, detail: str = ""
) -> None:
    session.add(OrderEvent(order_id=order_id, at=at, actor=actor, kind=kind, detail=detail))


def events_of(session: Session, *, order_id: int, limit: int = 50) -> list[OrderEvent]:
    return list(
        session.exec(
            select(OrderEvent)
            .where(OrderEvent.order_id == order_id)
            .order_by(col(OrderEvent.at).desc(), col(OrderEvent.id).desc())
            .limit(limit)
        )
    )


def orders_in_sections(
    session: Session,
    *,
    shop_id: int,
    sections: Sequence[str],
    synced_before: datetime,
    limit: int,
) -> list[str]:
    """TikTok ids of orders in `sections` not read from TikTok since `synced_before`."""
    return list(
        session.exec(
            select(Order.tiktok_order_id)
            .where(
                Order.shop_id == shop_id,
                col(Order.section).in_(sections),
                col(Order.synced_at) < synced_before,
            )
            .order_by(Order.synced_at, Order.id)
            .limit(limit)
        )
    )


def oldest_in_section(session: Session, *, shop_id: int, section: str, limit: int) -> list[Order]:
    """Oldest first: what has waited longest (served by ix_orders_section_created)."""
    return list(
        session.exec(
            select(Order)
            .where(Order.shop_id == shop_id, Order.section == section)
            .order_by(col(Order.created_at), col(Order.id))
            .limit(limit)
        )
    )


def failure_counts(session: Session, *, shop_id: int) -> dict[str, int]:
    rows = session.exec(
        select(Order.failure_reason, func.count())
        .where(Order.shop_id == shop_id, Order.section == "failed")
        .group_by(Order.failure_reason)
    )
    return {reason or "unknown": n for reason, n in rows.all()}


# --- placing: pending orders walked in chunks --------------------------------------------


def pending_order_keys(
    session: Session, *, shop_id: int, after: tuple[datetime, int] | None, limit: int
) -> list[tuple[datetime, int]]:
    """(created_at, id) of the shop's pending orders, oldest first, after the key `after`
    (keyset paging: a walk that moves the orders it reads neither skips nor repeats any)."""
    query = select(Order.created_at, Order.id).where(
        Order.shop_id == shop_id, Order.placement == Placement.PENDING
    )
    if after is not None:
        created, order_id = after
        # A row-value comparison, so both SQLite and PostgreSQL seek the index to the key.
        query = query.where(
            tuple_(col(Order.created_at), col(Order.id)) > tuple_(created, order_id)
        )
    rows = session.exec(query.order_by(Order.created_at, Order.id).limit(limit))
    return [(created, order_id) for created, order_id in rows]
