"""What the settings make of the schedule: the fetch interval, the digest's time and zone."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.schedule import DIGEST, FETCH, next_runs, triggers
from orderbot.runtime import schedule_of
from orderbot.settings import Settings


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize("minutes", [1, 5, 7, 60])
def test_the_fetch_interval_is_the_setting(minutes):
    settings = Settings(_env_file=None, ORDERBOT_FETCH_INTERVAL_MINUTES=str(minutes))
    schedule = schedule_of(settings)
    first = next_runs(schedule, at("2026-05-04T10:00:01"))[FETCH]
    second = triggers(schedule)[FETCH].get_next_fire_time(first, first)
    assert second - first == timedelta(minutes=minutes)


def test_digest_time_and_timezone_come_from_the_settings():
    settings = Settings(
        _env_file=None, ORDERBOT_DIGEST_TIME="18:30", ORDERBOT_TIMEZONE="America/New_York"
    )
    schedule = schedule_of(settings)
    assert next_runs(schedule, at("2026-07-01T12:00:00"))[DIGEST] == at("2026-07-01T22:30:00")
    assert next_runs(schedule, at("2026-12-01T12:00:00"))[DIGEST] == at("2026-12-01T23:30:00")
    assert schedule_of(Settings(_env_file=None)).timezone == ZoneInfo("UTC")


def test_an_unknown_timezone_is_refused():
    with pytest.raises(ValueError, match="ORDERBOT_TIMEZONE"):
        Settings(_env_file=None, ORDERBOT_TIMEZONE="Mars/Olympus_Mons")


# --- stock push (SPEC §3.2) ------------------------------------------------------------------


def test_stock_push_is_off_with_no_buffer_unless_the_seller_says_so():
    default = Settings(_env_file=None)
    assert (default.stock_push, default.stock_buffer) == ("off", 0)
    chosen = Settings(_env_file=None, ORDERBOT_STOCK_PUSH=" On ", ORDERBOT_STOCK_BUFFER="2")
    assert (chosen.stock_push, chosen.stock_buffer) == ("on", 2)


@pytest.mark.parametrize(
    "values", [{"ORDERBOT_STOCK_PUSH": "yes"}, {"ORDERBOT_STOCK_BUFFER": "-1"}]
)
def test_a_bad_stock_push_setting_is_refused(values):
    with pytest.raises(ValueError, match="ORDERBOT_STOCK_"):
        Settings(_env_file=None, **values)
