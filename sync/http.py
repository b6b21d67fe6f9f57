"""What both marketplace clients share: a rate limiter, backoff, and the one retry loop."""

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx

from sync import metrics
from sync.clock import utc_now
from sync.errors import Unavailable

log = logging.getLogger(__name__)

T = TypeVar("T")
# on_call(platform, endpoint, outcome), once per attempt: the outcome is the HTTP status
# ("200", "429", …), or "timeout" / "network" when no answer came.
OnCall = Callable[[str, str, str], None]


class RateLimiter:
    """A token bucket with a burst of one: calls are spaced at least 1/rate apart.

    Each caller reserves the next free slot under the lock and sleeps outside it, so threads
    never share a slot and never block each other while waiting.
    """

    def __init__(
        self,
        rate_per_s: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate_per_s <= 0:
            raise ValueError("rate_per_s must be positive")
        self._interval = 1.0 / rate_per_s
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = float("-inf")

    def acquire(self) -> float:
        """Wait for the next slot; returns the seconds waited."""
        with self._lock:
            now = self._monotonic()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self._interval
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
        return wait

    def pause_until(self, monotonic_deadline: float) -> None:
        """No call starts before the deadline (a Retry-After, or a spent per-second quota)."""
        with self._lock:
            self._next_slot = max(self._next_slot, monotonic_deadline)


BACKOFF_CAP_S = 30.0


class Backoff:
    """Exponential backoff with full jitter (uniform between 0 and the exponential ceiling)."""

    def __init__(self, rng: random.Random, base: float = 0.5, cap: float = BACKOFF_CAP_S) -> None:
        self._rng = rng
        self.base = base
        self.cap = cap

    def delay(self, attempt: int) -> float:
        """`attempt` counts the failures so far, from 1."""
        ceiling = min(self.cap, self.base * 2 ** max(attempt - 1, 0))
        return self._rng.uniform(0, ceiling)


class Retry(Exception):
    """Raised by a response reader (or an auth flow) for an answer worth another attempt.

    `unprocessed` says the platform certainly did nothing (a rate-limit refusal, or a request
    that never left): only such failures are retried for a call that is not idempotent.
    """

    def __init__(
        self,
        reason: str,
        *,
        after: float | None = None,
        code: int | str | None = None,
        status: int | None = None,
        request_id: str | None = None,
        unprocessed: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.after = after
        self.code = code
        self.status = status
        self.request_id = request_id
        self.unprocessed = unprocessed


# A `Retry-After: 0` (or a date already past) still waits this long, so a server that keeps
# answering 429 with 0 cannot use up every attempt within a few milliseconds.
RETRY_AFTER_FLOOR_S = 0.5
# The longest Retry-After waited for. Etsy's 429s typically ask for 1–60 s (QPS spent; the
# rolling daily window frees quota continuously), which is worth waiting for, so this sits
# well above both that and the backoff cap; a longer ask (a spent daily quota) fails at once
# rather than holding a fetch or a Slack command for minutes.
MAX_RETRY_AFTER_S = 120.0


def longest_call_s(*, max_attempts: int, send_s: float, sends_per_attempt: int) -> float:
    """The longest one `Retrier.call` that is not idempotent can take: every send of every
    attempt at `send_s`, and before each retry the longest wait there is (a Retry-After at its
    cap). Waits the rate limiter adds for other calls of the same client come on top. (A read
    may take longer: its 429s have a budget of their own.)"""
    wait = max(MAX_RETRY_AFTER_S, BACKOFF_CAP_S)
    return max_attempts * sends_per_attempt * send_s + (max_attempts - 1) * wait


def retry_after(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """Retry-After in seconds, from either form RFC 9110 allows: delay-seconds or an HTTP-date
    (counted from `now`, the caller's clock). At least `RETRY_AFTER_FLOOR_S`; None when the
    header is absent or unreadable."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:  # "-0000": HTTP-dates are GMT
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - (now or utc_now())).total_seconds()
    else:
        if not seconds >= 0:  # negative or NaN
            return None
    return max(seconds, RETRY_AFTER_FLOOR_S)


def json_or_none(response: httpx.Response) -> Any:
    """The parsed body, or None when it is not JSON."""
    try:
        return response.json()
    except ValueError:  # JSONDecodeError and UnicodeDecodeError both
        return None


# Failures where the request may not have reached the server, or its answer was lost.
_NETWORK_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
# Of those, the ones raised before any byte of the request was sent.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class Turns:
    """A lock taken in the order asked for (first come, first served): each caller that met
    a 429 gets its turn before one that asks again after it."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._next = 0
        self._serving = 0

    def take(self) -> int:
        with self._changed:
            ticket = self._next
            self._next += 1
            while self._serving != ticket:
                self._changed.wait()
            return ticket

    def done(self) -> None:
        with self._changed:
            self._serving += 1
            self._changed.notify_all()

    @property
    def asked(self) -> int:
        """Turns asked for so far."""
        return self._next

    @property
    def queued(self) -> int:
        """Callers holding or waiting for a turn now."""
        with self._changed:
            return self._next - self._serving


class _InCall(threading.local):
    depth = 0  # calls under way on this thread (more than one: a call made inside another)
    holding = False  # this thread's outer call has its turn


class Retrier:
    """Sends requests through the rate limiter, retrying what is worth retrying, with a cap.

    `build` makes a fresh request for every attempt (the auth flow signs each one anew);
    `read` turns a response into a value, or raises `Retry` or a `MarketplaceError`.

    A Retry-After longer than `max_retry_after` is not waited for: the call is `Unavailable`
    at once.
    """

    def __init__(
        self,
        *,
        platform: str,
        client: httpx.Client,
        limiter: RateLimiter,
        backoff: Backoff,
        max_attempts: int,
        sleep: Callable[[float], None],
        monotonic: Callable[[], float],
        on_call: OnCall | None = None,
        max_retry_after: float = MAX_RETRY_AFTER_S,
    ) -> None:
        self.platform = platform
        self._client = client
        self._limiter = limiter
        self._backoff = backoff
        self._max_attempts = max(1, max_attempts)
        self._sleep = sleep
        self._monotonic = monotonic
        self._on_call = on_call
        self._max_retry_after = max_retry_after
        # After a 429, the calls in flight together (a fetch's writes, its pages and details)
        # line up: the first in line keeps its turn through its retries until it ends, and
        # the others wait without spending attempts, so each meets no more refusals than it
        # would alone. (Turns per attempt would share a burst's refusals out among them, and
        # one whose turns kept meeting them could run out while the others got through.)
        self._throttled = threading.Event()
        self._probe = Turns()
        # Calls that went out before the line formed may still be under way: the first in
        # line waits for them before each attempt, so it meets the server alone (their
        # answers would otherwise take the few it lets through).
        self._flow = threading.Condition()
        self._free = 0  # calls outside the line under way
        # A call made inside another (the auth flow's cipher lookup) goes as its caller
        # goes: it must not wait for a turn behind its own caller's.
        self._in_call = _InCall()
        # httpx logs every full URL at INFO; TikTok URLs carry the sign and the token refresh
        # carries the app secret, so that logger must stay quieter than INFO.
        for name in ("httpx", "httpcore"):
            quiet = logging.getLogger(name)
            if quiet.level == logging.NOTSET or quiet.level < logging.WARNING:
                quiet.setLevel(logging.WARNING)

    def call(
        self,
        endpoint: str,
        build: Callable[[], httpx.Request],
        read: Callable[[httpx.Response], T],
        *,
        idempotent: bool = True,
    ) -> T:
        """`idempotent=False` is for a call that must not be repeated once it may have been
        carried out (a POST that cancels): a timeout, a lost connection or a 5xx ends it as
        `Unavailable` after one attempt, and the caller reads back what happened. Answers that
        say nothing was done (429) and requests that never left are still retried."""
        failures = refusals = 0
        turn = False  # this call's turn at the head of the line of throttled calls
        nested = self._in_call.depth > 0
        self._in_call.depth += 1
        try:
            while True:
                free = not nested and not turn and self._go_freely()
                if not nested and not turn and not free:
                    self._probe.take()
                    turn = self._in_call.holding = True
                if turn:
                    self._wait_for_free_calls()
                try:
                    answered, retry = self._attempt(endpoint, build, read)
                finally:
                    if free:
                        self._free_call_done()
                if retry is None:
                    return answered
                if not idempotent and not retry.unprocessed:
                    raise self._unavailable(
                        f"{endpoint}: {retry.reason}; not retried, as it may have been carried out",
                        retry,
                    ) from retry
                # A 429 says the platform did nothing and when to ask again: for a read it has
                # a budget of its own, so refusals never use up the attempts failures have.
                if idempotent and retry.status == 429:
                    refusals += 1
                else:
                    failures += 1
                if max(failures, refusals) >= self._max_attempts:
                    raise self._unavailable(
                        f"{endpoint}: gave up after {failures + refusals} attempts: {retry.reason}",
                        retry,
                    ) from retry
                self._wait(endpoint, retry, failures + refusals)
        finally:
            self._in_call.depth -= 1
            if turn:
                self._in_call.holding = False
                self._probe.done()

    def _go_freely(self) -> bool:
        """True (and counted as under way) unless the line of throttled calls has formed."""
        with self._flow:
            if self._throttled.is_set():
                return False
            self._free += 1
            return True

    def _free_call_done(self) -> None:
        with self._flow:
            self._free -= 1
            self._flow.notify_all()

    def _wait_for_free_calls(self) -> None:
        with self._flow:
            self._flow.wait_for(lambda: self._free == 0)

    def _attempt(
        self, endpoint: str, build: Callable[[], httpx.Request], read: Callable[[httpx.Response], T]
    ) -> tuple[T | None, Retry | None]:
        """One attempt: its value, or the Retry that says why it is worth another."""
        waited = self._limiter.acquire()
        if waited > 0:
            metrics.RATE_LIMIT_WAIT_SECONDS.labels(self.platform).inc(waited)
        try:
            response = self._client.send(build())
            self._report(endpoint, str(response.status_code))
            result = read(response)
        except Retry as exc:
            if exc.status == 429:
                self._throttled.set()
            return None, exc
        except httpx.TimeoutException as exc:
            self._report(endpoint, "timeout")
            retry = Retry(
                f"timed out ({type(exc).__name__})", unprocessed=isinstance(exc, _NOT_SENT)
            )
            retry.__cause__ = exc
            return None, retry
        except _NETWORK_ERRORS as exc:
            self._report(endpoint, "network")
            retry = Retry(
                f"connection failed ({type(exc).__name__})",
                unprocessed=isinstance(exc, _NOT_SENT),
            )
            retry.__cause__ = exc
            return None, retry
        # Calls go back to flowing freely once the line is empty, not while some still wait
        # in it (new calls would otherwise race them for the refusals).
        if self._probe.queued <= (1 if self._in_call.holding else 0):
            self._throttled.clear()
        return result, None

    def close(self) -> None:
        self._client.close()

    def _wait(self, endpoint: str, retry: Retry, attempt: int) -> None:
        metrics.API_RETRIES.labels(self.platform).inc()
        if retry.after is None:
            delay = self._backoff.delay(attempt)
            log.info("%s %s: %s; retry %d in %.2fs", self.platform, endpoint, retry, attempt, delay)
            self._sleep(delay)
            return
        if retry.after > self._max_retry_after:
            # A wait this long (e.g. a spent daily quota) is not worth holding a caller for.
            raise self._unavailable(
                f"{endpoint}: asked to retry after {retry.after:g}s", retry
            ) from retry
        log.info("%s %s: %s; retry after %gs", self.platform, endpoint, retry, retry.after)
        # Through the limiter, so every call of this client waits, not only this one.
        self._limiter.pause_until(self._monotonic() + retry.after)

    def _unavailable(self, message: str, retry: Retry) -> Unavailable:
        return Unavailable(
            self.platform,
            message,
            code=retry.code,
            status=retry.status,
            request_id=retry.request_id,
        )

    def _report(self, endpoint: str, outcome: str) -> None:
        metrics.API_CALLS.labels(self.platform, endpoint, outcome).inc()
        if self._on_call is not None:
            self._on_call(self.platform, endpoint, outcome)
