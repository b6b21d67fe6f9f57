"""The SKU index: which Etsy listing holds a seller SKU, built from the shop's listings.

Etsy has no SKU search, so the index comes from paging the shop's listings with their
inventory — every state a unit can be reserved on or given back to, not only `active`.
"""

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sync.clock import Clock
from sync.pools import Pool, ambiguity, pools

INDEXED_STATES = ("active", "sold_out", "inactive")


@dataclass(frozen=True)
class Found:
    listing_id: int


@dataclass(frozen=True)
class Missing:
    pass


@dataclass(frozen=True)
class Ambiguous:
    why: str


Lookup = Found | Missing | Ambiguous


class SkuIndex:
    def __init__(self, listings_by_sku: dict[str, dict[int, Pool]], built_at: datetime):
        self._by_sku = listings_by_sku
        self.built_at = built_at

    @classmethod
    def build(cls, listings: Iterable[dict], built_at: datetime) -> "SkuIndex":
        by_sku: dict[str, dict[int, Pool]] = defaultdict(dict)
        for listing in listings:
            inventory = listing.get("inventory")
            if not inventory:
                continue
            for sku, pool in pools(inventory).items():
                by_sku[sku][int(listing["listing_id"])] = pool
        return cls(dict(by_sku), built_at)

    def __len__(self) -> int:
        return len(self._by_sku)

    def lookup(self, sku: str) -> Lookup:
        found = self._by_sku.get(sku)
        if not found:
            return Missing()
        if len(found) > 1:
            listings = ", ".join(str(listing_id) for listing_id in sorted(found))
            return Ambiguous(f"{sku} is on more than one Etsy listing ({listings})")
        ((listing_id, group),) = found.items()
        why = ambiguity(listing_id, sku, group)
        return Ambiguous(why) if why else Found(listing_id)


class SkuIndexCache:
    """The one SKU index of a process, rebuilt when it is older than `ttl` or invalidated.

    A scheduled fetch and Slack actions (retry, map) use it from different threads; the lock
    makes one of them build while the others wait for that build.
    """

    def __init__(self, listings: Callable[[], Iterable[dict]], *, clock: Clock, ttl: timedelta):
        self._listings = listings
        self._clock = clock
        self._ttl = ttl
        self._lock = threading.Lock()
        self._index: SkuIndex | None = None

    def get(self, *, max_age: timedelta | None = None) -> SkuIndex:
        """The index, built anew first if it is older than `max_age` (or the TTL)."""
        age = self._ttl if max_age is None else min(max_age, self._ttl)
        with self._lock:
            now = self._clock()
            if self._index is None or now - self._index.built_at > age:
                self._index = SkuIndex.build(self._listings(), now)
            return self._index

    def invalidate(self) -> None:
        """Build anew on next use (the seller may have just fixed a listing)."""
        with self._lock:
            self._index = None


def etsy_listings(etsy) -> Callable[[], Iterable[dict]]:
    """Every listing of the shop an index is built from, page by page."""

    def listings():
        for state in INDEXED_STATES:
            for page in etsy.iter_listing_pages(state=state):
                yield from page

    return listings
