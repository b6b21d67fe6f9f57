"""What the buttons on alerts do to the alert itself: Mark handled."""

from dataclasses import dataclass
from datetime import datetime

from storage import queries
from storage.db import SessionFactory, transaction
from storage.models import Alert
from storage.states import EventKind


@dataclass(frozen=True)
class Handled:
    done: bool  # this call marked it
    alert: Alert | None  # None: no such alert


def mark_handled(
    sessions: SessionFactory, *, shop_id: int, key: str, actor: str, now: datetime
) -> Handled:
    """Mark a posted alert handled, exactly once however often clicked; the order's history
    says who did it (a history entry, which would also make the outbox's next run re-render
    the alert: `Outbox.refresh` does it at once)."""
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
                kind=EventKind.ALERT_HANDLED,
                detail=alert.kind.replace("_", " "),
            )
        session.flush()
        session.refresh(alert)
        return Handled(done, alert)
