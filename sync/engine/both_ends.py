"""A fetch's window of update times paged from both ends at once.

Search Orders is paged by token, so one chain of pages goes no faster than a round trip a
page (~175 ms): 20 pages for 2,000 orders. Sorted by update time, the window can also be read
from its other end: ascending from its start and descending from its end, each chain by its
own tokens, until they meet, in about half the time. Every order updated before the ascending
chain's newest is on its pages, and every order updated after the descending chain's oldest
is on its: once the first is later than the second, the two chains hold the whole window.
The descending chain starts only once the first ascending page shows a second one, so a
fetch of one page still costs one call.

The ascending chain alone moves the fetch's cursor (its pages are stored in update-time
order); a fetch stopped halfway reads the descending chain's orders again next time, and
storing a known order again changes nothing.
"""

import threading
from collections.abc import Callable, Iterator

from sync.tiktok.models import OrderPage, TikTokOrder

ASCENDING, DESCENDING = 0, 1  # the chains' numbers, as Prefetch hands them over


def stamp(order: TikTokOrder) -> int:
    return int(order.update_time.timestamp())


class BothEnds:
    """The two chains of pages of one search: `chains()` to follow each on its own thread."""

    def __init__(self, search: Callable[[str], Iterator[OrderPage]]):
        self._search = search  # sort order ("ASC" or "DESC") -> its pages
        self._lock = threading.Lock()
        self._first = threading.Event()  # the ascending chain's first page came (or failed)
        self._more = False  # that page has a next one
        self._ended = False  # a chain ended or stopped: the other need not go on
        self._newest_up: int | None = None
        self._oldest_down: int | None = None

    def chains(self) -> tuple[Iterator[OrderPage], Iterator[OrderPage]]:
        return self._ascending(), self._descending()

    def _met(self) -> bool:
        with self._lock:
            if self._ended:
                return True
            up, down = self._newest_up, self._oldest_down
            return up is not None and down is not None and up > down

    def _ascending(self) -> Iterator[OrderPage]:
        try:
            for page in self._search("ASC"):
                with self._lock:
                    if page.orders:
                        self._newest_up = max(stamp(o) for o in page.orders)
                    if not self._first.is_set():
                        self._more = bool(page.next_page_token)
                        self._first.set()
                yield page
                if self._met():
                    return
        finally:
            self._end()

    def _descending(self) -> Iterator[OrderPage]:
        # The ascending thread always asks for its first page, so this wait ends (by its
        # page, or by its error through `_end`).
        self._first.wait()
        if not self._more or self._met():
            return
        try:
            for page in self._search("DESC"):
                if page.orders:
                    with self._lock:
                        self._oldest_down = min(stamp(o) for o in page.orders)
                yield page
                if self._met():
                    return
        finally:
            self._end()

    def _end(self) -> None:
        with self._lock:
            self._ended = True
            self._first.set()


class Stored:
    """What the fetch's thread has stored from each chain, to leave out of the other's pages
    the orders it stored already (where the chains met): every ascending order up to its
    newest update time, every descending one down to its oldest."""

    def __init__(self) -> None:
        self._edge: dict[int, int | None] = {ASCENDING: None, DESCENDING: None}
        self._at_edge: dict[int, set[str]] = {ASCENDING: set(), DESCENDING: set()}

    def not_yet(self, chain: int, orders: list[TikTokOrder]) -> list[TikTokOrder]:
        """These orders of `chain`'s page less those the other chain stored; noted as stored."""
        other = DESCENDING if chain == ASCENDING else ASCENDING
        fresh = [o for o in orders if not self._stored_by(other, o)]
        for order in fresh:
            self._note(chain, order)
        return fresh

    def _stored_by(self, chain: int, order: TikTokOrder) -> bool:
        edge = self._edge[chain]
        if edge is None:
            return False
        at = stamp(order)
        if at == edge:
            return order.id in self._at_edge[chain]
        return at < edge if chain == ASCENDING else at > edge

    def _note(self, chain: int, order: TikTokOrder) -> None:
        at, edge = stamp(order), self._edge[chain]
        further = edge is None or (at > edge if chain == ASCENDING else at < edge)
        if further:
            self._edge[chain], self._at_edge[chain] = at, {order.id}
        elif at == edge:
            self._at_edge[chain].add(order.id)
