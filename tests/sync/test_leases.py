"""One lease module for the engine and the scheduler: take, renew (or learn it was lost),
release, and take over from a dead process of this host; and a job run once per tick across
instances (a lease row per job and tick)."""

import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from storage import queries
from sync.leases import RUN_LEASE, LeaseLost, Leases, holder_is_gone, new_holder
from tests.utils.fakes import FakeClock

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
HOLD = timedelta(minutes=5)


def test_a_lease_is_exclusive_until_released_or_expired(sessions):
    clock = FakeClock(T0)
    leases = Leases(sessions, clock, host="h")
    assert leases.take("x", "h:1:a", hold_for=HOLD)
    assert leases.take("x", "h:1:a", hold_for=HOLD)  # renewal by the holder
    assert not leases.take("x", "h:2:b", hold_for=HOLD)
    assert leases.holder_of("x") == "h:1:a"
    leases.release("x", "h:1:a")
    assert leases.take("x", "h:2:b", hold_for=HOLD)
    clock.now += HOLD + timedelta(seconds=1)
    assert leases.take("x", "h:1:a", hold_for=HOLD)  # b's lease expired


def test_a_renewal_after_another_worker_took_the_lease_raises(sessions):
    clock = FakeClock(T0)
    leases = Leases(sessions, clock, host="h")
    assert leases.take("x", "h:1:a", hold_for=HOLD)
    clock.now += HOLD + timedelta(seconds=1)  # a stalled holder: its lease ran out
    assert leases.take("x", "h:2:b", hold_for=HOLD)
    with pytest.raises(LeaseLost):
        leases.renew("x", "h:1:a", hold_for=HOLD)
    assert leases.holder_of("x") == "h:2:b"


def test_a_dead_holder_of_this_host_is_taken_over_at_once(sessions):
    gone = {41}
    leases = Leases(sessions, FakeClock(T0), host="h", pid_gone=lambda pid: pid in gone)
    assert leases.take("x", "h:41:a", hold_for=HOLD)
    assert leases.take("x", "h:42:b", hold_for=HOLD)  # 41 no longer runs
    assert not leases.take("x", "other:41:c", hold_for=HOLD)  # 42 lives


@pytest.mark.parametrize(
    "holder, gone",
    [("h:41:a", True), ("h:42:a", False), ("other:41:a", False), ("h:x:a", False), ("h", False)],
)
def test_only_a_holder_of_this_host_whose_process_is_gone_counts_as_gone(holder, gone):
    assert holder_is_gone(holder, host="h", pid_gone=lambda pid: pid == 41) is gone


def test_waiting_for_a_lease_uses_the_injected_sleep_and_gives_up(sessions):
    slept: list[float] = []
    ticks = iter(range(100))
    leases = Leases(
        sessions, FakeClock(T0), host="h", sleep=slept.append, monotonic=lambda: next(ticks) * 0.5
    )
    assert leases.take("x", "h:1:a", hold_for=HOLD)
    assert not leases.take_waiting("x", "h:2:b", hold_for=HOLD, wait_s=1.0, poll_s=0.2)
    assert slept == [0.2]  # at 0.5 s it waits once more; at 1.0 s it gives up


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
