"""chat.postMessage's own limit: about one message per second per channel, bursts allowed for a
moment (docs.slack.dev, "Rate limits"). Beyond it Slack answers HTTP 429 with `Retry-After`."""

import math
import threading
import time
from collections.abc import Callable


class ChannelLimit:
    """A token bucket per channel: `burst` posts at once, refilled at `per_second`."""

    def __init__(
        self,
        per_second: float = 1.0,
        *,
        burst: int = 1,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        if per_second <= 0 or burst < 1:
            raise ValueError("per_second must be positive and burst at least 1")
        self.per_second = per_second
        self.burst = burst
        self._monotonic = monotonic
        self._buckets: dict[str, tuple[float, float]] = {}  # channel -> (tokens, at)
        self._lock = threading.Lock()

    def acquire(self, channel: str) -> int | None:
        """None when a post to `channel` may go now, else the whole seconds to wait."""
        now = self._monotonic()
        with self._lock:
            tokens, at = self._buckets.get(channel, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.per_second)
            if tokens >= 1:
                self._buckets[channel] = (tokens - 1, now)
                return None
            self._buckets[channel] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / self.per_second))
