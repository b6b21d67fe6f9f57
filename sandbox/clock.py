"""The sandbox's own clock: real time plus an offset that simulation controls can move."""

import threading
import time


class SandboxClock:
    def __init__(self, offset_s: float = 0.0, base=time.time):
        self._offset = offset_s
        self._base = base
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._base() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    def set_offset(self, seconds: float) -> None:
        with self._lock:
            self._offset = seconds
