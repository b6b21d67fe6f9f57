"""A fetch's window paged from both ends: the chains meet, cover the window, store each once."""

import threading
import time
from datetime import UTC, datetime

import pytest

from sync.engine.both_ends import ASCENDING, DESCENDING, BothEnds, Stored
from sync.engine.prefetch import Prefetch
from sync.tiktok.models import OrderPage


class Order:
    def __init__(self, order_id: str, at: int):
        self.id = order_id
        self.update_time = datetime.fromtimestamp(at, UTC)


class Search:
    """Search Orders over `times` (one order each), sorted by update time then id, as TikTok
    pages it; counts the calls of each sort order."""

    def __init__(self, times: list[int], page_size: int = 3):
        self.orders = sorted(
            (Order(f"o{n}", at) for n, at in enumerate(times)),
            key=lambda o: (o.update_time, o.id),
        )
        self.page_size = page_size
        self.calls = {"ASC": 0, "DESC": 0}
        self.lock = threading.Lock()

    def __call__(self, sort_order: str):
        ordered = self.orders if sort_order == "ASC" else self.orders[::-1]
        for start in range(0, max(len(ordered), 1), self.page_size):
            with self.lock:
                self.calls[sort_order] += 1
            page = ordered[start : start + self.page_size]
            more = start + self.page_size < len(ordered)
            yield OrderPage(page, "next" if more else "", len(ordered))


def fetch(search: Search) -> list[str]:
    """Every order id the fetch's thread would store, in storing order."""
    stored, kept = Stored(), []
    with Prefetch(BothEnds(search).chains(), lambda page: page.orders) as prefetched:
        for chain, _page, orders in prefetched:
            kept += [o.id for o in stored.not_yet(chain, orders)]
    return kept


@pytest.mark.parametrize(
    "times",
    [
        list(range(100, 130)),  # one order a second
        [100] * 8 + [200] * 9 + [300] * 7,  # many orders in the same second
        [500] * 20,  # all in one second: the chains can never pass each other
        [100, 101, 102, 400, 401],
    ],
)
def test_the_two_chains_together_store_every_order_once(times):
    search = Search(times)

    kept = fetch(search)

    assert sorted(kept) == sorted(o.id for o in search.orders)


class Lockstep(Search):
    """Pages served to the two chains in turn, as two chains of equal round trips go (a
    chain's k-th page waits, a moment at most, for the other's (k-1)-th)."""

    def __call__(self, sort_order: str):
        other = "DESC" if sort_order == "ASC" else "ASC"
        for page in super().__call__(sort_order):
            deadline = time.monotonic() + 1
            while self.calls[other] < self.calls[sort_order] - 1 and time.monotonic() < deadline:
                time.sleep(0.001)
            yield page


def test_the_chains_meet_halfway_instead_of_both_reading_the_whole_window():
    search = Lockstep(list(range(1000, 1060)), page_size=3)  # 20 pages

    kept = fetch(search)

    assert sorted(kept) == sorted(o.id for o in search.orders)
    # Each chain reads about half; where they meet, a page or two is read by both.
    assert search.calls["ASC"] + search.calls["DESC"] <= 20 + 2
    assert min(search.calls.values()) >= 9


def test_a_window_of_one_page_costs_one_call():
    search = Search([100, 101])

    assert sorted(fetch(search)) == ["o0", "o1"]
    assert search.calls == {"ASC": 1, "DESC": 0}


def test_an_empty_window_costs_one_call():
    search = Search([])

    assert fetch(search) == []
    assert search.calls == {"ASC": 1, "DESC": 0}


def test_stored_leaves_out_only_what_the_other_chain_stored():
    stored = Stored()
    up = [Order("a", 10), Order("b", 20), Order("c", 20)]
    down = [Order("z", 30), Order("c", 20), Order("b", 20), Order("y", 20)]

    assert [o.id for o in stored.not_yet(ASCENDING, up)] == ["a", "b", "c"]
    # b and c at the ascending chain's newest second were stored; y, in that second, was not.
    assert [o.id for o in stored.not_yet(DESCENDING, down)] == ["z", "y"]
    assert [o.id for o in stored.not_yet(ASCENDING, [Order("y", 20), Order("w", 21)])] == []


def test_an_error_of_the_descending_chain_stops_the_fetch():
    class Failing(Search):
        def __call__(self, sort_order):
            if sort_order == "DESC":
                raise RuntimeError("search failed")
            yield from super().__call__(sort_order)

    with pytest.raises(RuntimeError, match="search failed"):
        fetch(Failing(list(range(100, 130))))
