"""Stock intents: the journal of Etsy inventory writes.

Keyword-only functions, the Session first; callers decide when to commit.
"""

from sqlmodel import Session, select

from storage.models import (
    Reservation,
    StockIntent,
)

# --- stock intents -----------------------------------------------------------------------


def open_intents(session: Session, *, shop_id: int) -> list[StockIntent]:
    return list(
        session.exec(
            select(StockIntent)
            .where(StockIntent.shop_id == shop_id, StockIntent.state == "pending")
            .order_by(StockIntent.id)
        )
    )


def reservations_of_intent(session: Session, *, intent_id: int) -> list[Reservation]:
    return list(
        session.exec(
            select(Reservation).where(
                (Reservation.reserve_intent_id == intent_id)
                | (Reservation.restore_intent_id == intent_id)
            )
        )
    )
