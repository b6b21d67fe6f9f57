"""Leases: named locks in the database, shared by every process on it, with an expiry.

Used by the engine (one fetch per shop, one stock mover per shop) and the scheduler (each job
once per tick across instances). A holder is `host:pid:nonce`, so a process of this host that
was killed can be told apart from one that is still working: its lease is taken over at once
instead of blocking a restart until it expires.

A renewal that finds the lease taken by someone else raises `LeaseLost`; the work that needed
the lease must stop there, or mutual exclusion would be lost without anyone noticing.
"""

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from storage import queries
from storage.db import SessionFactory
from sync.clock import Clock

log = logging.getLogger(__name__)

RUN_LEASE = timedelta(minutes=5)  # how long a run of a vanished host keeps others off a job


class LeaseLost(Exception):
    """Another worker holds a lease this one believed it had."""

    def __init__(self, name: str):
        super().__init__(f"lease {name} was taken by another worker")
        self.name = name


def new_holder() -> str:
    """`host:pid:nonce`: names the process, so a restart on this host can tell it is gone."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def process_is_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, ValueError):
        return False
    return False


def holder_is_gone(
    holder: str,
    *,
    host: str | None = None,
    pid_gone: Callable[[int], bool] = process_is_gone,
) -> bool:
    """True only for a holder of this host whose process no longer runs."""
    parts = holder.split(":")
    if len(parts) < 3 or ":".join(parts[:-2]) != (host or socket.gethostname()):
        return False
    try:
        pid = int(parts[-2])
    except ValueError:
        return False
    return pid_gone(pid)


def holder_name(holder: str) -> str:
    """The process part of a holder (`host:pid`), for messages."""
    return holder.rsplit(":", 1)[0]


class Leases:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        *,
        host: str | None = None,
        pid_gone: Callable[[int], bool] = process_is_gone,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.sessions = sessions
        self.clock = clock
        self.host = host
        self.pid_gone = pid_gone
        self.sleep = sleep
        self.monotonic = monotonic

    def take(self, name: str, holder: str, *, hold_for: timedelta) -> bool:
        """Take (or renew) `name` for `holder`; True when it has it now."""
        now = self.clock()
        expires_at = now + hold_for
        with self.sessions() as session:
            if queries.acquire_lease(
                session, name=name, holder=holder, now=now, expires_at=expires_at
            ):
                return True
            lease = queries.lease_holder(session, name=name, now=now)
            if lease is None or not holder_is_gone(
                lease.holder, host=self.host, pid_gone=self.pid_gone
            ):
                return False
            # A process of this host that was killed cannot release its lease; waiting out
            # its expiry would block a restart for minutes for nothing.
            log.warning("taking over lease %s from %s, which no longer runs", name, lease.holder)
            return queries.take_over_lease(
                session, name=name, dead_holder=lease.holder, holder=holder, expires_at=expires_at
            )

    def take_waiting(
        self, name: str, holder: str, *, hold_for: timedelta, wait_s: float, poll_s: float = 0.2
    ) -> bool:
        """Take `name`, waiting up to `wait_s` for its holder to finish; False if it did not."""
        deadline = self.monotonic() + wait_s
        while not self.take(name, holder, hold_for=hold_for):
            if self.monotonic() >= deadline:
                return False
            self.sleep(poll_s)
        return True

    def renew(self, name: str, holder: str, *, hold_for: timedelta) -> None:
        """Extend a lease `holder` has; raises LeaseLost when another worker has it now."""
        if not self.take(name, holder, hold_for=hold_for):
            raise LeaseLost(name)

    def release(self, name: str, holder: str) -> None:
        with self.sessions() as session:
            queries.release_lease(session, name=name, holder=holder)

    def holder_of(self, name: str) -> str | None:
        with self.sessions() as session:
            lease = queries.lease_holder(session, name=name, now=self.clock())
        return lease.holder if lease else None

    def once_per_tick(
        self,
        *,
        name: str,
        holder: str,
        every: timedelta,
        work: Callable[[datetime], object],
    ) -> bool:
        """Run `work(now)` unless another instance has run `name` this tick (or is running
        it); True when it ran here. The lease stays taken until half a period after the tick,
        so instances that tick at the same instants run the job once between them."""
        now = self.clock()
        if not self.take(name, holder, hold_for=max(2 * every, RUN_LEASE)):
            log.debug("%s: another instance has this tick", name)
            return False
        try:
            work(now)
        finally:
            end = self.clock()
            with self.sessions() as session:
                queries.acquire_lease(
                    session, name=name, holder=holder, now=end, expires_at=max(end, now + every / 2)
                )
        return True
