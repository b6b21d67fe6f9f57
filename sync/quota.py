"""Etsy's daily quota (Etsy reference §3): what its answers say is left, and what may spend it.

Placements and restores always run; index refreshes wait while the day's quota is low, so an
index walk never starves them. Etsy's window is a rolling 24 hours that frees quota
continuously, so a reading older than `stale_after` no longer says the quota is low.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_RESERVE = 1000  # calls kept for placements and restores: 10% of Etsy's usual 10,000


@dataclass(frozen=True)
class Quota:
    remaining_today: int
    limit_per_day: int | None
    seen_at: datetime

    def text(self) -> str:
        of = f" of {self.limit_per_day:,}" if self.limit_per_day is not None else ""
        return f"{self.remaining_today:,}{of} Etsy calls left today"


def read_quota(headers: Mapping[str, str], *, now: datetime) -> Quota | None:
    """The quota an answer's headers report, or None when they carry none."""
    remaining = _whole(headers.get("x-remaining-today"))
    if remaining is None:
        return None
    return Quota(remaining, _whole(headers.get("x-limit-per-day")), now)


def freshest(*quotas: Quota | None) -> Quota | None:
    known = [quota for quota in quotas if quota is not None]
    return max(known, key=lambda quota: quota.seen_at) if known else None


@dataclass(frozen=True)
class QuotaPolicy:
    reserve: int = DEFAULT_RESERVE  # below this many calls left today, refreshes wait
    stale_after: timedelta = timedelta(hours=1)

    def low(self, quota: Quota | None, now: datetime) -> bool:
        """True when a recent reading leaves fewer than `reserve` calls for today."""
        if quota is None or now - quota.seen_at > self.stale_after:
            return False
        return quota.remaining_today < self.reserve


def _whole(value: str | None) -> int | None:
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if number >= 0 else None
