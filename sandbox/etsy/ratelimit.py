"""Queries per second and per day on the API key (Etsy reference §3).

The second bucket runs on real monotonic time; the day is a rolling 24 hours of hourly buckets on
the sandbox clock, so a clock offset frees quota the way time would. QPS is checked first.
"""

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

DAY_S = 86_400
BUCKET_S = 3_600


@dataclass
class Verdict:
    allowed: bool
    headers: dict[str, str]
    retry_after_s: int = 0


@dataclass
class _Usage:
    second_started: float = float("-inf")
    this_second: int = 0
    hours: deque = field(default_factory=deque)  # [bucket_start, count]


class RateLimiter:
    def __init__(
        self,
        *,
        per_second: int,
        per_day: int,
        day_clock: Callable[[], float],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_second = per_second
        self.per_day = per_day
        self._day_clock = day_clock
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._usage: dict[str, _Usage] = {}

    def take(self, key: str) -> Verdict:
        with self._lock:
            usage = self._usage.setdefault(key, _Usage())
            tick = self._monotonic()
            if tick - usage.second_started >= 1:
                usage.second_started, usage.this_second = tick, 0
            now = self._day_clock()
            while usage.hours and usage.hours[0][0] + BUCKET_S + DAY_S <= now:
                usage.hours.popleft()
            today = sum(count for _, count in usage.hours)
            if usage.this_second >= self.per_second:
                wait = 1 - (tick - usage.second_started)
                return self._refuse(usage.this_second, today, wait)
            if today >= self.per_day:
                wait = usage.hours[0][0] + BUCKET_S + DAY_S - now
                return self._refuse(usage.this_second, today, wait)
            usage.this_second += 1
            bucket = now - now % BUCKET_S
            if usage.hours and usage.hours[-1][0] == bucket:
                usage.hours[-1][1] += 1
            else:
                usage.hours.append([bucket, 1])
            return Verdict(True, self._headers(usage.this_second, today + 1))

    def _refuse(self, this_second: int, today: int, wait_s: float) -> Verdict:
        return Verdict(False, self._headers(this_second, today), max(1, math.ceil(wait_s)))

    def _headers(self, this_second: int, today: int) -> dict[str, str]:
        return {
            "x-limit-per-second": str(self.per_second),
            "x-remaining-this-second": str(max(0, self.per_second - this_second)),
            "x-limit-per-day": str(self.per_day),
            "x-remaining-today": str(max(0, self.per_day - today)),
        }
