"""One lease module for the engine and the scheduler: take, renew (or learn it was lost),
release, and take over from a dead process of this host."""

from datetime import UTC, datetime, timedelta

import pytest

from sync.leases import LeaseLost, Leases, holder_is_gone

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
HOLD = timedelta(minutes=5)


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


def test_a_lease_is_exclusive_until_released_or_expired(sessions):
    clock = Clock()
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
    clock = Clock()
    leases = Leases(sessions, clock, host="h")
    assert leases.take("x", "h:1:a", hold_for=HOLD)
    clock.now += HOLD + timedelta(seconds=1)  # a stalled holder: its lease ran out
    assert leases.take("x", "h:2:b", hold_for=HOLD)
    with pytest.raises(LeaseLost):
        leases.renew("x", "h:1:a", hold_for=HOLD)
    assert leases.holder_of("x") == "h:2:b"


def test_a_dead_holder_of_this_host_is_taken_over_at_once(sessions):
    gone = {41}
    leases = Leases(sessions, Clock(), host="h", pid_gone=lambda pid: pid in gone)
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
        sessions, Clock(), host="h", sleep=slept.append, monotonic=lambda: next(ticks) * 0.5
    )
    assert leases.take("x", "h:1:a", hold_for=HOLD)
    assert not leases.take_waiting("x", "h:2:b", hold_for=HOLD, wait_s=1.0, poll_s=0.2)
    assert slept == [0.2]  # at 0.5 s it waits once more; at 1.0 s it gives up
