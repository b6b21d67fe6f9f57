"""When jobs fire: trigger math as pure functions with `now` passed in."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from bot.schedule import ALERTS, DIGEST, FETCH, REFRESH, SWEEP, Schedule, next_runs
from sync.clock import utc_now

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_interval_jobs_tick_on_shared_instants():
    schedule = Schedule(fetch_every=timedelta(minutes=5), alerts_every=timedelta(seconds=10))
    runs = next_runs(schedule, at("2026-05-04T10:02:30"))
    assert runs[FETCH] == at("2026-05-04T10:05:00")
    assert runs[ALERTS] == at("2026-05-04T10:02:30")  # on a tick: now
    assert runs[REFRESH] == at("2026-05-04T10:15:00")
    assert runs[SWEEP] == at("2026-05-04T11:00:00")
    # A second instance that started at another moment ticks at the same instants.
    later = next_runs(schedule, at("2026-05-04T10:03:59"))
    assert later[FETCH] == runs[FETCH]
    assert next_runs(schedule, at("2026-05-04T10:05:00.000001"))[FETCH] == at("2026-05-04T10:10")


def test_the_default_clocks_now_gives_the_next_five_minute_tick():
    # freezegun only around pure code: nothing here starts a thread.
    with freeze_time("2026-05-04 10:02:30"):
        now = utc_now()  # orderbot's default clock reads the time when called, never at import
    assert now == at("2026-05-04T10:02:30")
    assert next_runs(Schedule(), now)[FETCH] == at("2026-05-04T10:05:00")


DIGESTS = [
    # (now UTC, digest time, zone, next digest)
    ("2026-05-04T07:59:59", time(8, 0), UTC, "2026-05-04T08:00:00"),
    ("2026-05-04T08:00:00", time(8, 0), UTC, "2026-05-04T08:00:00"),
    ("2026-05-04T08:00:01", time(8, 0), UTC, "2026-05-05T08:00:00"),
    ("2026-05-04T05:00:00", time(8, 0), BERLIN, "2026-05-04T06:00:00"),  # CEST, UTC+2
    ("2026-01-04T05:00:00", time(8, 0), BERLIN, "2026-01-04T07:00:00"),  # CET, UTC+1
    ("2026-05-04T12:00:00", time(8, 0), NEW_YORK, "2026-05-04T12:00:00"),  # EDT, UTC-4
    ("2026-05-04T12:30:00", time(18, 30), NEW_YORK, "2026-05-04T22:30:00"),
    ("2026-05-04T23:00:00", time(18, 30), NEW_YORK, "2026-05-05T22:30:00"),
    # Spring forward in Berlin (29 March 2026, 02:00 → 03:00): 02:30 does not exist that day.
    ("2026-03-29T00:10:00", time(2, 30), BERLIN, "2026-03-29T01:30:00"),
    # Fall back (25 October 2026, 03:00 → 02:00): 02:30 happens twice; the first one counts.
    ("2026-10-24T23:00:00", time(2, 30), BERLIN, "2026-10-25T00:30:00"),
    ("2026-10-25T01:00:00", time(2, 30), BERLIN, "2026-10-25T01:30:00"),  # the second 02:30
]


@pytest.mark.parametrize(("now", "digest_at", "zone", "expected"), DIGESTS)
def test_the_digest_fires_at_its_local_time(now, digest_at, zone, expected):
    # Compared in UTC: aware datetimes in a DST gap or fold never compare equal across zones.
    fires = next_runs(Schedule(digest_at=digest_at, timezone=zone), at(now))[DIGEST]
    assert fires.astimezone(UTC) == at(expected)
