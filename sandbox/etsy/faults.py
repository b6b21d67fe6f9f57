"""Fault injection for /v3 requests, drawn from one seeded rng so a run can be replayed.

Order per request: latency, then `burst_429`, `error_rate` (500) and, on writes,
`conflict_rate` (409) before the handler runs, so nothing is applied; `reset_rate` (dropped
connection) and `malformed_rate` (truncated JSON) after it, so a write may be applied while its
answer is lost, the case retries must survive.

`ignore_sort_on`: getListingsByShop answers in its default order (`created`, newest first)
whatever `sort_on` asks, as Etsy's docs allow ("sorting applies only with search options",
Etsy reference §6.1): pages asked by `updated` then do not come newest-updated first.

Per-listing refusals, checked by the handlers once the token is accepted (401 comes first):
- `forbid_listings`: updateListingInventory on these listing ids answers 403
  `{"error": ...}` ("operation not allowed", Etsy reference §4) and changes nothing; reads work.
- `deleted_listings`: these listings answer 404 on getListing, getListingInventory,
  updateListingInventory and updateListing, and batch reads leave them out. getListingsByShop
  still shows them, as a listing deleted after a client read the shop's listings.
"""

import random
import threading
from dataclasses import dataclass, field

TUNABLE = (
    "error_rate",
    "latency_ms",
    "burst_429",
    "malformed_rate",
    "reset_rate",
    "conflict_rate",
    "ignore_sort_on",
)
LISTING_SETS = ("forbid_listings", "deleted_listings")


@dataclass
class Faults:
    error_rate: float = 0.0
    latency_ms: int = 0
    burst_429: int = 0  # the next N requests get 429
    malformed_rate: float = 0.0
    reset_rate: float = 0.0
    conflict_rate: float = 0.0
    ignore_sort_on: bool = False  # getListingsByShop sorts by `created` whatever is asked
    forbid_listings: set[int] = field(default_factory=set)  # inventory PUT -> 403
    deleted_listings: set[int] = field(default_factory=set)  # by-id reads and writes -> 404
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

    def forbids(self, listing_id: int) -> bool:
        return listing_id in self.forbid_listings

    def deleted(self, listing_id: int) -> bool:
        return listing_id in self.deleted_listings

    def update(self, values: dict) -> None:
        """From the control endpoint: only known fields; a new `seed` restarts the rng; the
        listing sets are replaced whole by a list of listing ids."""
        unknown = set(values) - {*TUNABLE, *LISTING_SETS, "seed"}
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        listing_sets = {
            name: _listing_ids(name, values[name]) for name in LISTING_SETS if name in values
        }
        with self._lock:
            for name in TUNABLE:
                if name in values:
                    setattr(self, name, _typed(name, getattr(self, name), values[name]))
            for name, ids in listing_sets.items():
                setattr(self, name, ids)
            if "seed" in values:
                self.seed = int(values["seed"])
                self.rng = random.Random(self.seed)

    def clear(self) -> None:
        with self._lock:
            for name in TUNABLE:
                setattr(self, name, type(self).__dataclass_fields__[name].default)
            for name in LISTING_SETS:
                setattr(self, name, set())

    def snapshot(self) -> dict:
        return {
            **{name: getattr(self, name) for name in TUNABLE},
            **{name: sorted(getattr(self, name)) for name in LISTING_SETS},
            "seed": self.seed,
        }


def _typed(name: str, current: object, value: object) -> object:
    """`value` as the field's type; a switch takes only true or false (bool("false") is
    True, which would turn it on)."""
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    return type(current)(value)


def _listing_ids(name: str, value: object) -> set[int]:
    if not isinstance(value, list | tuple | set) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise ValueError(f"{name} must be a list of listing ids")
    return set(value)
