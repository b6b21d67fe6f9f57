"""Stock intents (the journal of Etsy inventory writes) and the reservations they move.

Keyword-only functions, the Session first; callers decide when to commit.
"""

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from storage.models import (
    Order,
    Reservation,
    StockIntent,
)
from storage.queries.orders import USER_CANCEL_INITIATORS
from storage.states import STILL_HELD, IntentState, Placement, ReservationState

# --- stock intents -----------------------------------------------------------------------


def open_intents(session: Session, *, shop_id: int) -> list[StockIntent]:
    return list(
        session.exec(
            select(StockIntent)
            .where(StockIntent.shop_id == shop_id, StockIntent.state == IntentState.PENDING)
            .order_by(StockIntent.id)
        )
    )


def close_intent(
    session: Session, *, intent_id: int, state: IntentState, now: datetime
) -> StockIntent | None:
    """Compare-and-set: finish an open intent. Returns the row as stored after it, or None
    when it was finished already."""
    closed = session.execute(
        update(StockIntent)
        .where(col(StockIntent.id) == intent_id, StockIntent.state == IntentState.PENDING)
        .values(state=state, finished_at=now),
        execution_options={"synchronize_session": False},
    )
    if closed.rowcount != 1:
        return None
    return session.get(StockIntent, intent_id, populate_existing=True)


def open_intent(session: Session, *, intent_id: int) -> StockIntent | None:
    """The intent as stored now if it is still open (locked against other writers)."""
    return session.exec(
        select(StockIntent)
        .where(col(StockIntent.id) == intent_id, StockIntent.state == IntentState.PENDING)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def move_reservations(
    session: Session,
    *,
    reservation_ids: Collection[int],
    expected: str,
    to: str,
    restore_intent_id: int | None = None,
) -> int:
    """Compare-and-set: move those of the reservations still in state `expected`; returns how
    many moved."""
    if not reservation_ids:
        return 0
    values: dict = {"state": to}
    if restore_intent_id is not None:
        values["restore_intent_id"] = restore_intent_id
    moved = session.execute(
        update(Reservation)
        .where(col(Reservation.id).in_(reservation_ids), Reservation.state == expected)
        .values(**values),
        execution_options={"synchronize_session": False},
    )
    return moved.rowcount


def reservations_of_intent(session: Session, *, intent_id: int) -> list[Reservation]:
    return list(
        session.exec(
            select(Reservation).where(
                (Reservation.reserve_intent_id == intent_id)
                | (Reservation.restore_intent_id == intent_id)
            )
        )
    )


def reservations_owed_back(session: Session, *, shop_id: int, limit: int) -> list[Reservation]:
    """Units still off the shelf whose order no longer needs them: cancelled by a person or
    for a known reason (a failed delivery is Failed, not Cancelled), failed to place, or
    asked back by a restock. By listing, so each listing is written once."""
    cancelled = (Order.section == "cancelled") & (
        col(Order.cancel_initiator).in_(USER_CANCEL_INITIATORS)
        | col(Order.cancel_reason_key).is_not(None)
    )
    return list(
        session.exec(
            select(Reservation)
            .join(Order, col(Order.id) == col(Reservation.order_id))
            .where(
                Order.shop_id == shop_id,
                col(Reservation.state).in_(STILL_HELD),
                cancelled | col(Order.placement).in_([Placement.FAILED, Placement.RESTOCK]),
            )
            .order_by(Reservation.listing_id, Reservation.id)
            .limit(limit)
        )
    )


# --- placing: one intent per listing, extended chunk by chunk ----------------------------


def add_reservations(session: Session, *, rows: list[dict]) -> None:
    """Insert many reservations in one statement (column values by name): the ORM's unit
    of work would add them one by one, the bulk of a large settle's journalling."""
    if rows:
        session.execute(insert(Reservation), rows)


def replan_intent(session: Session, *, intent_id: int, changes: str) -> bool:
    """Compare-and-set: set an open intent's planned changes (before its write is made)."""
    moved = session.execute(
        update(StockIntent)
        .where(col(StockIntent.id) == intent_id, StockIntent.state == IntentState.PENDING)
        .values(changes=changes),
        execution_options={"synchronize_session": False},
    )
    return moved.rowcount == 1


def held_reservations(session: Session, *, order_id: int) -> list[Reservation]:
    """The order's reservations whose units are still off Etsy's shelf, or about to be."""
    return list(
        session.exec(
            select(Reservation).where(
                Reservation.order_id == order_id,
                col(Reservation.state).in_(
                    [*STILL_HELD, ReservationState.PLANNED, ReservationState.RESTORING]
                ),
            )
        )
    )
