"""When the jobs fire: fetch, refresh of moving orders, the completion sweep, alerts, the digest.

Pure: `triggers(schedule)` and `next_runs(schedule, now)` take no clock. Interval ticks are
aligned to a fixed epoch, so every instance ticks at the same instants (which is what lets the
job leases in `bot.jobs` run each job once per tick across instances). The digest fires at its
local wall time: a time a DST change skips fires at the instant it would have been; one it
repeats fires at its first occurrence (and, if that has passed, at the second: the digest's key,
its local date, keeps it to one a day).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # interval ticks fall on multiples from here

FETCH, REFRESH, SWEEP, ALERTS, DIGEST = "fetch", "refresh", "sweep", "alerts", "digest"


@dataclass(frozen=True)
class Schedule:
    fetch_every: timedelta = timedelta(minutes=5)
    refresh_every: timedelta = timedelta(minutes=15)
    sweep_every: timedelta = timedelta(hours=1)
    alerts_every: timedelta = timedelta(seconds=10)
    digest_at: time = time(8, 0)  # local time in `timezone`
    timezone: tzinfo = UTC
    fetch_at_start: bool = True  # `orderbot run` fetches right away; the demo fetches itself

    def every(self, job: str) -> timedelta:
        return {
            FETCH: self.fetch_every,
            REFRESH: self.refresh_every,
            SWEEP: self.sweep_every,
            ALERTS: self.alerts_every,
            DIGEST: timedelta(days=1),
        }[job]

    def grace(self, job: str) -> int:
        """misfire_grace_time (s): a run this late still runs; a later one waits for the next."""
        if job == DIGEST:
            return 3600
        return max(int(self.every(job).total_seconds() // 2), 5)


def interval_trigger(every: timedelta) -> IntervalTrigger:
    return IntervalTrigger(seconds=every.total_seconds(), start_date=EPOCH, timezone=UTC)


def digest_trigger(at: time, zone: tzinfo) -> CronTrigger:
    return CronTrigger(hour=at.hour, minute=at.minute, second=at.second, timezone=zone)


def triggers(schedule: Schedule) -> dict[str, BaseTrigger]:
    return {
        FETCH: interval_trigger(schedule.fetch_every),
        REFRESH: interval_trigger(schedule.refresh_every),
        SWEEP: interval_trigger(schedule.sweep_every),
        ALERTS: interval_trigger(schedule.alerts_every),
        DIGEST: digest_trigger(schedule.digest_at, schedule.timezone),
    }


def next_runs(schedule: Schedule, now: datetime) -> dict[str, datetime]:
    """When each job fires next at or after `now` (the triggers' own math, `now` passed in)."""
    return {job: t.get_next_fire_time(None, now) for job, t in triggers(schedule).items()}
