"""Numeric-string ids of TikTok's lengths."""

import itertools
import threading


class Ids:
    """Numeric-string ids of TikTok's lengths, one counter per kind."""

    def __init__(self) -> None:
        self._counters = {kind: itertools.count(1) for kind in _ID_BASES}
        self._lock = threading.Lock()

    def new(self, kind: str) -> str:
        with self._lock:
            n = next(self._counters[kind])
        base = _ID_BASES[kind]
        return f"9400{n:018d}" if base is None else str(base + n)


_ID_BASES = {
    "order": 576_460_000_000_000_000,
    "line_item": 577_460_000_000_000_000,
    "package": 1_153_460_000_000_000_000,
    "cancel": 4_035_460_000_000_000_000,
    "cancel_line": 4_036_460_000_000_000_000,
    "return": 4_035_560_000_000_000_000,
    "return_line": 4_036_560_000_000_000_000,
    "notification": 7_327_460_000_000_000_000,
    "tracking": None,  # 22-digit USPS-style tracking number
}
