"""Keeping what a pass read in the database, and telling what changed.

A listing's SKUs are compared with what is stored: a SKU whose quantity (or problem) differs,
appears or goes is a `SkuChange`, stamped `changed_at` (stock push compares these).
"""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from storage import queries
from storage.models import EtsyListing, EtsySku
from sync.etsy_index.walks import ListingRead
from sync.skus import SkuEntry

PROBLEM_CHARS = 400  # the column's bound


@dataclass(frozen=True)
class SkuChange:
    """A SKU's stock on one listing as the index saw it change. `before`/`after` are the one
    level orderbot can use (`SkuEntry.level`): None when absent or without one level."""

    sku: str
    listing_id: int
    before: int | None
    after: int | None


@dataclass
class Changes:
    listings: set[int] = field(default_factory=set)  # new, or changed state or SKUs
    dropped: set[int] = field(default_factory=set)  # left every indexed state
    skus: list[SkuChange] = field(default_factory=list)

    def merge(self, other: "Changes") -> None:
        self.listings |= other.listings
        self.dropped |= other.dropped
        self.skus.extend(other.skus)


def _level(row: EtsySku | None) -> int | None:
    return None if row is None or row.problem else row.quantity


def _problem(entry: SkuEntry) -> str | None:
    return entry.problem[:PROBLEM_CHARS] if entry.problem else None


def keep_reads(
    session: Session,
    *,
    shop_id: int,
    reads: Collection[ListingRead],
    now: datetime,
    all_stored: bool = False,
) -> Changes:
    """Store these reads. `all_stored`: load the whole index at once (a full walk) instead of
    asking for the listings read."""
    ids = None if all_stored else [read.listing_id for read in reads]
    listings = queries.indexed_listings(session, shop_id=shop_id, listing_ids=ids)
    skus = queries.skus_of_listings(session, shop_id=shop_id, listing_ids=ids)
    changes = Changes()
    for read in reads:
        listing = listings.get(read.listing_id)
        if listing is not None and listing.modified > read.modified:
            continue  # a newer read is stored already
        if listing is None:
            listing = EtsyListing(shop_id=shop_id, listing_id=read.listing_id)
            session.add(listing)
            changes.listings.add(read.listing_id)
        elif listing.state != read.state:
            changes.listings.add(read.listing_id)
        listing.state, listing.modified = read.state, read.modified
        listing.title, listing.read_at = read.title[:200], now
        sku_changes = _keep_skus(session, shop_id, read, skus.get(read.listing_id, {}), now)
        if sku_changes:
            changes.listings.add(read.listing_id)
            changes.skus.extend(sku_changes)
    return changes


def _keep_skus(
    session: Session, shop_id: int, read: ListingRead, stored: dict[str, EtsySku], now: datetime
) -> list[SkuChange]:
    changes = []
    for entry in read.entries:
        row = stored.get(entry.sku)
        problem = _problem(entry)
        if row is not None and (row.quantity, row.problem) == (entry.quantity, problem):
            continue
        before = _level(row)
        if row is None:
            row = EtsySku(shop_id=shop_id, listing_id=read.listing_id, sku=entry.sku)
            session.add(row)
        row.quantity, row.problem, row.changed_at = entry.quantity, problem, now
        changes.append(SkuChange(entry.sku, read.listing_id, before, entry.level))
    kept = {entry.sku for entry in read.entries}
    gone = sorted(sku for sku in stored if sku not in kept)
    queries.drop_indexed_skus(session, shop_id=shop_id, listing_id=read.listing_id, skus=gone)
    changes.extend(SkuChange(sku, read.listing_id, _level(stored[sku]), None) for sku in gone)
    return changes


def drop_listings(session: Session, *, shop_id: int, listing_ids: Collection[int]) -> Changes:
    """Forget listings that left every indexed state; their SKUs are gone from them."""
    ids = sorted(listing_ids)
    stored = queries.skus_of_listings(session, shop_id=shop_id, listing_ids=ids)
    queries.drop_indexed_listings(session, shop_id=shop_id, listing_ids=ids)
    changes = Changes(dropped=set(ids))
    for listing_id in ids:
        for sku, row in sorted(stored.get(listing_id, {}).items()):
            changes.skus.append(SkuChange(sku, listing_id, _level(row), None))
    return changes
