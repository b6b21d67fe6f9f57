"""Which order events the outbox has looked at, so a run re-renders only the alerts of orders
that changed since the last one. In memory, per process and on purpose: rebuilt after a restart,
starting REWIND events back, which covers a change made just before it.
"""

from sqlmodel import Session

from storage import queries
from storage.models import OrderEvent


class EventCursor:
    """Which order events this process has looked at, so a run re-renders only the alerts of
    orders that changed since the last one. PostgreSQL may commit ids out of order, so the last
    OVERLAP ids behind the cursor are read again and those already seen are skipped."""

    REWIND = 2000  # a new process looks this far back (a restart may have come in between)
    OVERLAP = 50
    LIMIT = 5000  # events read per run; the rest wait for the next one

    def __init__(self) -> None:
        self._seen: int | None = None
        self._recent: set[int] = set()
        self._read: list[OrderEvent] = []

    def unseen(self, session: Session) -> list[OrderEvent]:
        if self._seen is None:
            self._seen = max(queries.last_event_id(session) - self.REWIND, 0)
        after = max(self._seen - self.OVERLAP, 0)
        self._read = queries.events_after(session, after_id=after, limit=self.LIMIT)
        return [e for e in self._read if e.id not in self._recent]

    def advance(self) -> None:
        """The events the last `unseen` returned were acted on."""
        if self._seen is None:
            return
        if self._read:
            self._seen = max(self._seen, self._read[-1].id)
        floor = self._seen - self.OVERLAP
        self._recent = {e.id for e in self._read if e.id > floor} | {
            i for i in self._recent if i > floor
        }
