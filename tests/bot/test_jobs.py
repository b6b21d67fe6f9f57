"""The scheduler's jobs: each has an id and never overlaps itself in one process
(max_instances), and the real scheduler, started on two instances of one database, does its
work once (a lease row per job and tick: `sync.leases`, tested in tests/sync/test_leases.py)."""

import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.jobs import build_scheduler
from bot.schedule import ALERTS, DIGEST, FETCH, REFRESH, SWEEP, Schedule
from tests.utils.catalog import unique_skus
from tests.utils.slack_messages import alerts


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def counting(pilot, runs: list, enough: threading.Event, target: int):
    real = pilot.outbox.dispatch

    def dispatch(now=None):
        report = real(now)
        runs.append(report)
        if len(runs) >= target:
            enough.set()
        return report

    pilot.outbox.dispatch = dispatch


def test_the_started_scheduler_fetches_and_posts_once_across_two_instances(
    core, shops, slack_api, make_autopilot
):
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    fast = Schedule(alerts_every=timedelta(seconds=0.2), fetch_at_start=True)
    one = make_autopilot(fast)
    two = make_autopilot(fast)  # another instance, same database
    runs: list = []
    enough = threading.Event()
    for pilot in (one, two):
        counting(pilot, runs, enough, target=6)
    one.start()
    two.start()
    try:
        (message,) = slack_api.wait_for(lambda: alerts(slack_api), timeout=10)
        assert order_id in message.text
        assert enough.wait(10)  # the alert job kept firing, on both instances' timers
    finally:
        one.stop()
        two.stop()
    assert len(alerts(slack_api)) == 1 and len(slack_api.calls("chat.postMessage")) == 1
    assert sum(len(report.posted) for report in runs) == 1
    assert core.services.engine.order(order_id).placement == "placed"


def jobs_stub(*, outbox: object | None, schedule: Schedule):
    return SimpleNamespace(
        schedule=schedule, outbox=outbox, clock=lambda: at("2026-05-04T10:00:00")
    )


def test_every_job_has_an_id_and_never_overlaps_itself():
    schedule = Schedule(fetch_every=timedelta(minutes=5))
    scheduler = build_scheduler(jobs_stub(outbox=object(), schedule=schedule))
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {FETCH, f"{FETCH}-at-start", REFRESH, SWEEP, ALERTS, DIGEST}
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1
        assert job.misfire_grace_time and job.misfire_grace_time > 0
    assert jobs[FETCH].misfire_grace_time == 150 and jobs[DIGEST].misfire_grace_time == 3600
    assert isinstance(jobs[FETCH].trigger, IntervalTrigger)
    assert jobs[FETCH].trigger.interval == timedelta(minutes=5)
    assert isinstance(jobs[DIGEST].trigger, CronTrigger)
    assert str(scheduler.timezone) == "UTC"
    # The start-up fetch is a one-off at once; the interval job keeps the instants every
    # instance shares, whenever this one started.
    assert jobs[f"{FETCH}-at-start"].trigger.run_date == at("2026-05-04T10:00:00")
    assert jobs[FETCH].trigger.get_next_fire_time(None, at("2026-05-04T10:02:30")) == at(
        "2026-05-04T10:05:00"
    )


def test_without_an_alert_channel_there_are_no_alert_or_digest_jobs():
    schedule = Schedule(fetch_at_start=False)
    scheduler = build_scheduler(jobs_stub(outbox=None, schedule=schedule))
    assert {job.id for job in scheduler.get_jobs()} == {FETCH, REFRESH, SWEEP}
