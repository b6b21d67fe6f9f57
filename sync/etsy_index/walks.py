"""Reading the shop's listings for the SKU index: newest-updated first down to a watermark,
a whole state, or a few listings by id. No database here.

Etsy's docs say `sort_on` applies "only with search options" (Etsy reference §6.1), so a walk
that relies on newest-updated-first checks every page it reads by `last_modified_timestamp`
and gives up (`NotNewestFirst`) as soon as one is out of order: the caller walks the whole
shop instead.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sync.etsy.client import EtsyClient
from sync.skus import INDEXED_STATES, SkuEntry, entries_of

log = logging.getLogger(__name__)

PAGE_SIZE = 100  # Etsy's maximum: the fewest calls per listing read


@dataclass(frozen=True)
class ListingRead:
    """One listing as Etsy showed it: what the index keeps of it."""

    listing_id: int
    state: str
    modified: int  # last_modified_timestamp (Unix s)
    title: str
    entries: tuple[SkuEntry, ...]


class NotNewestFirst(Exception):
    """A page of a walk by update time came back in another order."""


@dataclass
class Walk:
    """What one pass read: the newest read of each listing, and what it cost."""

    keep_going: Callable[[], bool]  # asked after every page (the day's quota)
    reads: dict[int, ListingRead] = field(default_factory=dict)
    stopped: bool = False  # stopped before the end because keep_going said no
    newest: dict[str, int] = field(default_factory=dict)  # state -> newest modified seen
    complete: set[str] = field(default_factory=set)  # states read to the end

    def add(self, read: ListingRead, *, walked: bool = True) -> None:
        """Keep `read`; `walked`: it came from a walk of its state, so it may move that
        state's watermark (a read by id says nothing about the listings around it)."""
        # A listing that changed state mid-pass shows in two walks; the later change wins.
        kept = self.reads.get(read.listing_id)
        if kept is None or read.modified >= kept.modified:
            self.reads[read.listing_id] = read
        if walked:
            self.newest[read.state] = max(read.modified, self.newest.get(read.state, 0))

    def page_read(self) -> bool:
        """After a page: False when the walk must stop here."""
        if not self.keep_going():
            self.stopped = True
        return not self.stopped


def read_listing(raw: dict) -> ListingRead | None:
    """A listing of Etsy's answer, or None when it lacks what the index needs."""
    try:
        listing_id = int(raw["listing_id"])
        modified = int(raw.get("last_modified_timestamp") or 0)
    except (KeyError, TypeError, ValueError):
        log.warning("etsy: a listing without a usable listing_id was left out of the index")
        return None
    entries = tuple(entries_of(listing_id, raw.get("inventory")))
    return ListingRead(
        listing_id, str(raw.get("state") or ""), modified, str(raw.get("title") or ""), entries
    )


def walk_changed(etsy: EtsyClient, state: str, since: int, walk: Walk) -> None:
    """The listings of `state` modified at or after `since` (Unix s), newest-updated first;
    stops at the first older one."""
    previous: int | None = None
    for page in etsy.iter_listing_pages(
        state=state, page_size=PAGE_SIZE, sort_on="updated", sort_order="desc"
    ):
        reads = [read for read in map(read_listing, page) if read is not None]
        times = [read.modified for read in reads]
        if previous is not None:
            times.insert(0, previous)
        if any(later > earlier for earlier, later in zip(times, times[1:], strict=False)):
            raise NotNewestFirst(state)
        previous = times[-1] if times else previous
        newer = [read for read in reads if read.modified >= since]
        for read in newer:
            walk.add(read)
        if not walk.page_read():
            return
        if len(newer) < len(reads):
            break  # reached what the last pass read
    walk.complete.add(state)


def walk_state(etsy: EtsyClient, state: str, walk: Walk) -> None:
    """Every listing of `state`, in Etsy's default order (creation, which edits do not move)."""
    for page in etsy.iter_listing_pages(state=state, page_size=PAGE_SIZE):
        for read in map(read_listing, page):
            if read is not None:
                walk.add(read)
        if not walk.page_read():
            return
    walk.complete.add(state)


def read_by_ids(etsy: EtsyClient, listing_ids: Iterable[int], walk: Walk) -> set[int]:
    """Read these listings by id (getListingsByListingIds); returns those that are gone or in
    a state the index does not keep (deleted, draft, expired)."""
    wanted = sorted(set(listing_ids))
    found = etsy.get_listings(wanted)
    kept = set()
    for read in map(read_listing, found):
        if read is not None and read.state in INDEXED_STATES:
            walk.add(read, walked=False)
            kept.add(read.listing_id)
    return set(wanted) - kept
