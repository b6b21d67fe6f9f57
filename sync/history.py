"""An order's history: one line per thing that happened to it, and who or what did it."""

from datetime import datetime

from sqlmodel import Session

from storage import queries
from storage.states import Actor, EventKind


def record(
    session: Session,
    order_id: int,
    kind: EventKind,
    detail: str = "",
    *,
    actor: str = Actor.SYSTEM,
    at: datetime,
) -> None:
    """Add an entry to the order's history (the caller's transaction commits it). `actor` is
    an `Actor` or the Slack user who asked."""
    queries.add_event(session, order_id=order_id, at=at, actor=actor, kind=kind, detail=detail)
