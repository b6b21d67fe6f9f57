"""The SKU index: which Etsy listing holds a seller SKU, and the quantity it has there.

Etsy has no SKU search, so the index comes from the shop's listings with their inventory —
every state a unit can be reserved on or given back to, not only `active`. It is kept in the
database (`sync.etsy_index`); this module is the pure part: what one listing's inventory says
about its SKUs, lookups over those entries, and the SKUs nearest to one that is not there.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

from sync.pools import ambiguity, pools

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


@dataclass(frozen=True)
class SkuEntry:
    """One SKU on one listing: the quantity its pool holds, or why it cannot be used."""

    sku: str
    listing_id: int
    quantity: int | None  # None: its products hold different quantities
    problem: str | None = None  # why orderbot cannot reserve it here (sync.pools.ambiguity)

    @property
    def level(self) -> int | None:
        """The one stock level orderbot can use, or None."""
        return None if self.problem else self.quantity


def entries_of(listing_id: int, inventory: dict | None) -> list[SkuEntry]:
    """A listing's SKUs, sorted; a listing without an inventory record has none."""
    if not inventory:
        return []
    return [
        SkuEntry(sku, listing_id, pool.quantity, ambiguity(listing_id, sku, pool))
        for sku, pool in sorted(pools(inventory).items())
    ]


class SkuIndex:
    """Lookups over the entries of some SKUs (all a batch needs, or the whole shop's)."""

    def __init__(self, entries: Iterable[SkuEntry]):
        by_sku: dict[str, dict[int, SkuEntry]] = defaultdict(dict)
        for entry in entries:
            by_sku[entry.sku][entry.listing_id] = entry
        self._by_sku = dict(by_sku)

    @classmethod
    def build(cls, listings: Iterable[dict]) -> "SkuIndex":
        """From listings as Etsy pages them (`listing_id`, `inventory`)."""
        return cls(
            entry
            for listing in listings
            for entry in entries_of(int(listing["listing_id"]), listing.get("inventory"))
        )

    def __len__(self) -> int:
        return len(self._by_sku)

    def lookup(self, sku: str) -> Lookup:
        found = self._by_sku.get(sku)
        if not found:
            return Missing()
        if len(found) > 1:
            listings = ", ".join(str(listing_id) for listing_id in sorted(found))
            return Ambiguous(f"{sku} is on more than one Etsy listing ({listings})")
        ((listing_id, entry),) = found.items()
        return Ambiguous(entry.problem) if entry.problem else Found(listing_id)

    def listings_of(self, sku: str) -> list[int]:
        return sorted(self._by_sku.get(sku, ()))


SUGGESTION_CUTOFF = 0.5


def nearest(sku: str, candidates: Iterable[str], n: int = 5) -> list[str]:
    """The `n` candidates most like `sku`: difflib's ratio over case-folded text (matching
    blocks, so a typo, a dropped part or a case slip still ranks high), at least
    SUGGESTION_CUTOFF; ties by the SKU itself, so the answer is always the same."""
    matcher = SequenceMatcher(autojunk=False)
    matcher.set_seq2(sku.casefold())  # the fixed side: difflib caches what it learns of it
    scored = []
    for candidate in candidates:
        if candidate == sku:
            continue
        matcher.set_seq1(candidate.casefold())
        if matcher.real_quick_ratio() < SUGGESTION_CUTOFF:
            continue
        if matcher.quick_ratio() < SUGGESTION_CUTOFF:
            continue
        ratio = matcher.ratio()
        if ratio >= SUGGESTION_CUTOFF:
            scored.append((-ratio, candidate))
    return [candidate for _, candidate in sorted(scored)[:n]]
