"""Alert rows and the history cursor that keeps posted alerts up to date.

Keyword-only functions, the Session first; callers decide when to commit.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from storage.models import (
    Alert,
    OrderEvent,
)

# --- alerts and lifecycle (scheduler, webhooks) ------------------------------------------


def insert_alerts(session: Session, *, alerts: Sequence[Alert]) -> None:
    """Claim alert keys: the unique `key` makes a second claim fail with IntegrityError, which
    the caller turns into "someone else has it" (after rolling back)."""
    for alert in alerts:
        session.add(alert)
    session.flush()


def alert_by_key(session: Session, *, key: str) -> Alert | None:
    return session.exec(select(Alert).where(Alert.key == key)).first()


def alerts_of_orders(
    session: Session, *, shop_id: int, order_ids: Iterable[int], states: Sequence[str]
) -> list[Alert]:
    order_ids = list(order_ids)
    if not order_ids:
        return []
    return list(
        session.exec(
            select(Alert)
            .where(
                Alert.shop_id == shop_id,
                col(Alert.order_id).in_(order_ids),
                col(Alert.state).in_(states),
            )
            .order_by(Alert.id)
        )
    )


def alerts_in_state(
    session: Session, *, shop_id: int, state: str, updated_before: datetime, limit: int
) -> list[Alert]:
    return list(
        session.exec(
            select(Alert)
            .where(
                Alert.shop_id == shop_id,
                Alert.state == state,
                col(Alert.updated_at) <= updated_before,
            )
            .order_by(Alert.id)
            .limit(limit)
        )
    )


def move_alert(
    session: Session, *, alert_id: int, from_state: str, to_state: str, now: datetime
) -> bool:
    """Compare-and-set on an alert's state; True when this caller moved it."""
    moved = session.execute(
        update(Alert)
        .where(col(Alert.id) == alert_id, Alert.state == from_state)
        .values(state=to_state, updated_at=now)
    )
    return moved.rowcount == 1


def handle_alert(session: Session, *, key: str, actor: str, now: datetime) -> bool:
    """Mark a posted alert handled, once; True when this call did it."""
    moved = session.execute(
        update(Alert)
        .where(Alert.key == key, Alert.state == "posted")
        .values(state="handled", handled_by=actor, updated_at=now)
    )
    return moved.rowcount == 1


def count_alerts_since(
    session: Session, *, shop_id: int, kinds: Sequence[str], since: datetime
) -> int:
    return session.exec(
        select(func.count())
        .select_from(Alert)
        .where(
            Alert.shop_id == shop_id,
            col(Alert.kind).in_(kinds),
            col(Alert.created_at) >= since,
        )
    ).one()


def latest_alert(session: Session, *, shop_id: int, kind: str, since: datetime) -> Alert | None:
    return session.exec(
        select(Alert)
        .where(Alert.shop_id == shop_id, Alert.kind == kind, col(Alert.created_at) >= since)
        .order_by(col(Alert.created_at).desc(), col(Alert.id).desc())
    ).first()


def batch_members(session: Session, *, shop_id: int, kind: str, detail: str) -> list[int]:
    """Order ids whose `kind` alert went into a summary (their `detail` names the summary)."""
    return list(
        session.exec(
            select(Alert.order_id)
            .where(Alert.shop_id == shop_id, Alert.kind == kind, Alert.detail == detail)
            .order_by(Alert.id)
        )
    )


def events_after(session: Session, *, after_id: int, limit: int) -> list[OrderEvent]:
    return list(
        session.exec(
            select(OrderEvent).where(OrderEvent.id > after_id).order_by(OrderEvent.id).limit(limit)
        )
    )


def last_event_id(session: Session) -> int:
    return session.exec(select(func.max(OrderEvent.id))).one() or 0
