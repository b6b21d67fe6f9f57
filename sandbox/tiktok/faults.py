"""Injected faults and the per-API rate limit (§5: 50 QPS per API, per app and shop).

Faults apply to API and token calls, never to `/_sandbox` controls. Order of effects on one
request: latency, then a dropped connection (before any work), then a 429 burst, then a 5xx
(before any work), then the handler runs, then a malformed body (the work is done, the reply is
broken, as when a proxy truncates it).
"""

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

_TUNABLE = (
    "error_rate",
    "latency_ms",
    "burst_429",
    "malformed_rate",
    "reset_rate",
    "retry_after_s",
)


@dataclass
class Faults:
    error_rate: float = 0.0  # fraction of calls answered with a 5xx
    latency_ms: int = 0  # added to every call
    burst_429: int = 0  # the next N calls get 429 + Retry-After
    malformed_rate: float = 0.0  # fraction answered 200 with broken JSON
    reset_rate: float = 0.0  # fraction whose connection is dropped without an answer
    retry_after_s: int = 1
    rng: random.Random = field(default_factory=lambda: random.Random(1))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(self, **changes) -> None:
        unknown = set(changes) - set(_TUNABLE)
        if unknown:
            raise ValueError(f"unknown fault setting(s): {sorted(unknown)}")
        with self._lock:
            for name, value in changes.items():
                setattr(self, name, type(getattr(self, name))(value))

    def snapshot(self) -> dict:
        return {name: getattr(self, name) for name in _TUNABLE}

    def roll(self, rate: float) -> bool:
        with self._lock:
            return rate > 0 and self.rng.random() < rate

    def pick(self, choices: tuple):
        with self._lock:
            return self.rng.choice(choices)

    def take_429(self) -> bool:
        with self._lock:
            if self.burst_429 <= 0:
                return False
            self.burst_429 -= 1
            return True


class RateLimiter:
    """A token bucket per key, on real monotonic time (the sandbox clock can jump)."""

    def __init__(self, rate_per_s: float, monotonic: Callable[[], float] = time.monotonic):
        self._rate = rate_per_s
        self._monotonic = monotonic
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def acquire(self, key: str) -> int | None:
        """None when allowed, else the whole seconds to wait (for `Retry-After`)."""
        now = self._monotonic()
        with self._lock:
            tokens, at = self._buckets.get(key, (self._rate, now))
            tokens = min(self._rate, tokens + (now - at) * self._rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return None
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / self._rate))
