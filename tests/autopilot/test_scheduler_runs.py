"""Jobs never overlap themselves: in one process (max_instances; alert runs also the outbox's
lock) and across instances (a lease row per job and tick); and the real scheduler, started, does
its work."""

import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
from autopilot_kit import ADMIN, alerts, make_autopilot, make_dispatcher, unique_skus, words

from bot.schedule import Schedule
from storage import queries
from sync.leases import RUN_LEASE, Leases, holder_is_gone, new_holder

TICK = datetime(2026, 5, 4, 10, 5, tzinfo=UTC)
EVERY = timedelta(minutes=5)


def run_at(sessions, moment, holder, ran, *, work=None):
    return Leases(sessions, lambda: moment).once_per_tick(
        name="job:fetch:1",
        holder=holder,
        every=EVERY,
        work=work or (lambda now: ran.append((holder, now))),
    )


def test_one_run_per_tick_across_instances(sessions):
    ran: list = []
    assert run_at(sessions, TICK, "A", ran)
    assert not run_at(sessions, TICK + timedelta(seconds=1), "B", ran)  # same tick, later clock
    assert run_at(sessions, TICK + EVERY, "A", ran)  # next tick
    assert not run_at(sessions, TICK + EVERY + timedelta(seconds=3), "B", ran)
    assert run_at(sessions, TICK + 2 * EVERY, "B", ran)  # any instance may take a later tick
    assert ran == [("A", TICK), ("A", TICK + EVERY), ("B", TICK + 2 * EVERY)]


def test_a_run_that_crashed_keeps_others_out_only_for_a_while(sessions):
    ran: list = []
    with sessions() as session:  # an instance took the job and died mid-run
        queries.acquire_lease(
            session, name="job:fetch:1", holder="dead", now=TICK, expires_at=TICK + RUN_LEASE
        )
    assert not run_at(sessions, TICK + EVERY, "B", ran)
    assert run_at(sessions, TICK + RUN_LEASE + timedelta(seconds=1), "B", ran)


def test_a_killed_process_of_this_host_does_not_hold_the_job_up(sessions):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = f"{socket.gethostname()}:{gone.pid}:deadbeef"
    assert holder_is_gone(dead) and not holder_is_gone(new_holder())
    assert not holder_is_gone(f"another-host:{gone.pid}:x")  # cannot tell: wait for expiry
    with sessions() as session:
        queries.acquire_lease(
            session, name="job:fetch:1", holder=dead, now=TICK, expires_at=TICK + RUN_LEASE
        )
    ran: list = []
    assert run_at(sessions, TICK + timedelta(seconds=5), new_holder(), ran)  # restarted at once


def test_a_failing_run_still_hands_the_next_tick_on(sessions):
    ran: list = []

    def boom(now):
        raise RuntimeError("the job failed")

    with pytest.raises(RuntimeError):
        run_at(sessions, TICK, "A", ran, work=boom)
    assert not run_at(sessions, TICK + timedelta(seconds=2), "B", ran)
    assert run_at(sessions, TICK + EVERY, "B", ran)


def test_an_alert_run_asked_for_during_another_waits_for_it(core, shops, poster, slack_api):
    """The outbox's lock is the one in-process guard against overlapping alert runs. A run
    asked for during another (a kick after a fetch, during the scheduled run) waits for it: run
    alongside, it would take the news of a change to an alert still being posted, and that
    message would never be updated."""
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    engine = core.services.engine
    engine.fetch()
    second_ran = threading.Event()
    runs: list[threading.Thread] = []

    class ChangedWhilePosting:
        channel = poster.channel
        render = staticmethod(poster.render)
        update = staticmethod(poster.update)

        def post(self, payload, *, key):
            if not runs:  # the order changes while its alert is being posted, and a kick comes
                engine.cancel(order_id, "seller_cancel_reason_out_of_stock", actor=ADMIN)
                runs.append(threading.Thread(target=lambda: (outbox.dispatch(), second_ran.set())))
                runs[0].start()
                second_ran.wait(timeout=1)  # returns at once only if the kick ran alongside
            return poster.post(payload, key=key)

    outbox = make_dispatcher(core, ChangedWhilePosting())
    assert outbox.dispatch().posted == [f"new_order:{order_id}"]
    runs[0].join(10)

    assert second_ran.is_set()  # the kick was not lost: it ran after the first run
    (message,) = alerts(slack_api)
    assert message.edits == 1 and f"Cancelled by <@{ADMIN}>" in words(message)


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
    core, shops, poster, slack_api
):
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    fast = Schedule(alerts_every=timedelta(seconds=0.2), fetch_at_start=True)
    one = make_autopilot(core, poster, shops, schedule=fast)
    two = make_autopilot(core, poster, shops, schedule=fast)  # another instance, same database
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
