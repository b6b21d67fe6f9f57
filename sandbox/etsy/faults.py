"""Fault injection for /v3 requests, drawn from one seeded rng so a run can be replayed.

Order per request: latency, then `burst_429`, `error_rate` (500) and, on writes,
`conflict_rate` (409) before the handler runs, so nothing is applied; `reset_rate` (dropped
connection) and `malformed_rate` (truncated JSON) after it, so a write may be applied while its
answer is lost, the case retries must survive.
"""

import random
import threading
from dataclasses import dataclass, field, fields

TUNABLE = ("error_rate", "latency_ms", "burst_429", "malformed_rate", "reset_rate", "conflict_rate")


@dataclass
class Faults:
    error_rate: float = 0.0
    latency_ms: int = 0
    burst_429: int = 0  # the next N requests get 429
    malformed_rate: float = 0.0
    reset_rate: float = 0.0
    conflict_rate: float = 0.0
    seed: int = 0
    rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def hit(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._lock:
            return self.rng.random() < rate

    def take_burst(self) -> bool:
        with self._lock:
            if self.burst_429 <= 0:
                return False
            self.burst_429 -= 1
            return True

    def update(self, values: dict) -> None:
        """From the control endpoint: only known fields; a new `seed` restarts the rng."""
        unknown = set(values) - {*TUNABLE, "seed"}
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        with self._lock:
            for name in TUNABLE:
                if name in values:
                    setattr(self, name, type(getattr(self, name))(values[name]))
            if "seed" in values:
                self.seed = int(values["seed"])
                self.rng = random.Random(self.seed)

    def clear(self) -> None:
        with self._lock:
            for f in fields(self):
                if f.name in TUNABLE:
                    setattr(self, f.name, f.default)

    def snapshot(self) -> dict:
        return {name: getattr(self, name) for name in (*TUNABLE, "seed")}
