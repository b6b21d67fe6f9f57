"""Alert rows, the orders that may be owed one, and the history cursor that keeps posted alerts
up to date.

Keyword-only functions, the Session first; callers decide when to commit.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, exists, select

from storage.models import (
    Alert,
    Order,
    OrderEvent,
)
from storage.states import AlertState

# --- orders that may be owed an alert (the caller decides which are) -----------------------


def _no_alert(kinds: Sequence[str]):
    return ~exists().where(col(Alert.order_id) == col(Order.id), col(Alert.kind).in_(kinds))


def _oldest(session: Session, query, limit: int) -> list[Order]:
    return list(session.exec(query.order_by(Order.created_at, Order.id).limit(limit)))


def failed_without_alert(
    session: Session,
    *,
    shop_id: int,
    section: str,
    reasons: Mapping[str, Sequence[str]],
    limit: int,
) -> list[Order]:
    """Orders in `section` failed for one of `reasons[kind]` that have no `kind` alert yet."""
    owed = [
        col(Order.failure_reason).in_(failures) & _no_alert([kind])
        for kind, failures in reasons.items()
    ]
    query = select(Order).where(Order.shop_id == shop_id, Order.section == section, or_(*owed))
    return _oldest(session, query, limit)


def cancelled_without_alert(
    session: Session,
    *,
    shop_id: int,
    section: str,
    kind: str,
    created_since: datetime,
    updated_since: datetime,
    limit: int,
) -> list[Order]:
    """Orders in `section` changed since `updated_since` that have no `kind` alert yet."""
    query = select(Order).where(
        Order.shop_id == shop_id,
        Order.section == section,
        col(Order.created_at) >= created_since,
        col(Order.updated_at) >= updated_since,
        _no_alert([kind]),
    )
    return _oldest(session, query, limit)


def new_without_alert(
    session: Session,
    *,
    shop_id: int,
    created_since: datetime,
    placements: Sequence[str],
    kinds: Sequence[str],
    limit: int,
) -> list[Order]:
    """Orders created since `created_since`, settled as `placements`, with no alert of `kinds`."""
    query = select(Order).where(
        Order.shop_id == shop_id,
        col(Order.created_at) >= created_since,
        col(Order.placement).in_(placements),
        _no_alert(kinds),
    )
    return _oldest(session, query, limit)


# --- alert rows -------------------------------------------------------------------------------


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


def record_posted(
    session: Session,
    *,
    alert_id: int,
    channel: str,
    ts: str,
    fingerprint: str | None,
    now: datetime,
) -> None:
    """The claimed alert's message is out: where it is, and what it said (None: not known, as
    for a message found in the channel after a crash)."""
    session.execute(
        update(Alert)
        .where(col(Alert.id) == alert_id)
        .values(
            state=AlertState.POSTED,
            channel=channel,
            ts=ts,
            fingerprint=fingerprint,
            last_error=None,
            posted_at=now,
            updated_at=now,
        )
    )


def record_refused(session: Session, *, alert_id: int, error: str, now: datetime) -> None:
    """The channel refused the claimed alert: it waits as `pending`, one more attempt counted."""
    session.execute(
        update(Alert)
        .where(col(Alert.id) == alert_id)
        .values(
            state=AlertState.PENDING,
            attempts=Alert.attempts + 1,
            last_error=error,
            updated_at=now,
        )
    )


def record_fingerprint(session: Session, *, alert_id: int, fingerprint: str, now: datetime) -> None:
    """The alert's message was replaced: this is what it says now."""
    session.execute(
        update(Alert)
        .where(col(Alert.id) == alert_id)
        .values(fingerprint=fingerprint, updated_at=now)
    )


def take_stale_claim(
    session: Session, *, alert_id: int, claimed_before: datetime, now: datetime
) -> bool:
    """Take over a `posting` claim left since before `claimed_before` (its post was cut short);
    True when this caller has it now. A claim taken over is fresh again, so a second caller
    finds it younger than its cut-off and leaves it."""
    moved = session.execute(
        update(Alert)
        .where(
            col(Alert.id) == alert_id,
            Alert.state == AlertState.POSTING,
            col(Alert.updated_at) <= claimed_before,
        )
        .values(updated_at=now)
    )
    return moved.rowcount == 1


def handle_alert(session: Session, *, key: str, actor: str, now: datetime) -> bool:
    """Mark a posted alert handled, once; True when this call did it."""
    moved = session.execute(
        update(Alert)
        .where(Alert.key == key, Alert.state == AlertState.POSTED)
        .values(state=AlertState.HANDLED, handled_by=actor, updated_at=now)
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


def summary_members(session: Session, *, shop_id: int, batch_key: str) -> list[Order]:
    """The orders a summary or a failure group stands for (their rows carry its key), in the
    order they joined."""
    return list(
        session.exec(
            select(Order)
            .join(Alert, col(Alert.order_id) == col(Order.id))
            .where(Alert.shop_id == shop_id, Alert.batch_key == batch_key)
            .order_by(Alert.id)
        )
    )


# --- the history cursor -------------------------------------------------------------------


def events_after(session: Session, *, after_id: int, limit: int) -> list[OrderEvent]:
    return list(
        session.exec(
            select(OrderEvent).where(OrderEvent.id > after_id).order_by(OrderEvent.id).limit(limit)
        )
    )


def last_event_id(session: Session) -> int:
    return session.exec(select(func.max(OrderEvent.id))).one() or 0
