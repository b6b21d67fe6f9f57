"""Prefetch: chains of pages fetched ahead, a thread each, handed over in order, bounded."""

import threading

import pytest

from sync.engine.prefetch import Prefetch
from sync.errors import Unavailable
from tests.utils.processes import until


class Pages:
    """Pages 0..n-1, counting how many were asked for and on which threads."""

    def __init__(self, n: int, fail_at: int | None = None):
        self.n, self.fail_at = n, fail_at
        self.asked = 0
        self.threads: set[str] = set()

    def __iter__(self):
        for number in range(self.n):
            self.asked += 1
            self.threads.add(threading.current_thread().name)
            if number == self.fail_at:
                raise Unavailable("tiktok", "search failed")
            yield number


def test_pages_come_in_order_with_their_details_fetched_on_another_thread():
    pages = Pages(7)
    with Prefetch([pages], lambda page: f"detailed {page}") as prefetched:
        got = list(prefetched)

    assert got == [(0, number, f"detailed {number}") for number in range(7)]
    assert pages.threads == {"fetch-prefetch-0"}


def test_each_chain_is_followed_on_its_own_thread_and_keeps_its_order():
    up, down = Pages(6), Pages(4)
    with Prefetch([up, down], lambda page: page) as prefetched:
        got = list(prefetched)

    assert [page for chain, page, _ in got if chain == 0] == list(range(6))
    assert [page for chain, page, _ in got if chain == 1] == list(range(4))
    assert (up.threads, down.threads) == ({"fetch-prefetch-0"}, {"fetch-prefetch-1"})


def test_no_more_than_the_bound_is_fetched_ahead_of_storing():
    pages = Pages(50)
    with Prefetch([pages], lambda page: page, ahead=2) as prefetched:
        first = next(iter(prefetched))
        until(lambda: pages.asked >= 4, "the prefetch to fill its queue")
        asked = pages.asked

    assert first == (0, 0, 0)
    # One handed over, two waiting, one held by the thread waiting for room: never all 50.
    assert asked == 4


def test_an_error_is_raised_where_its_page_would_have_been():
    pages = Pages(5, fail_at=3)
    got = []
    with pytest.raises(Unavailable), Prefetch([pages], lambda page: page) as prefetched:
        for _chain, page, _details in prefetched:
            got.append(page)

    assert got == [0, 1, 2]


def test_closing_early_stops_the_calls():
    pages = Pages(1000)
    prefetch = Prefetch([pages], lambda page: page, ahead=1)
    next(iter(prefetch))
    prefetch.close()

    assert not any(
        thread.is_alive() for thread in threading.enumerate() if "prefetch" in thread.name
    )
    assert pages.asked < 5
