"""The injectable clock: every time-dependent part takes a `Clock` instead of reading the time."""

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    # Looked up at call time so freezegun can patch it.
    return datetime.now(UTC)


def from_unix(seconds: int | None) -> datetime | None:
    if not seconds:
        return None
    return datetime.fromtimestamp(int(seconds), UTC)


def to_unix(moment: datetime) -> int:
    return int(moment.timestamp())


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything stored is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
