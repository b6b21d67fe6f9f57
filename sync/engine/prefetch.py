"""TikTok's pages fetched ahead of their storing, on threads of their own.

Storing a page is database work; the next search page (it needs this one's page token) and
the new orders' Get Order Detail are network waits. Each chain of pages (a search followed by
its page tokens; a fetch pages its window from both ends, `sync.engine.both_ends`) has a thread
of its own, which hands each page's details to `DETAILERS` threads, so a page's details are
asked for while the next page is: a chain is the only thing that must wait on itself. The
fetch's thread stores the pages meanwhile, each chain's in its own order; at most `AHEAD`
pages wait in memory, so memory stays flat however many pages there are. Under a 429 the
calls line up (`sync.http.Retrier`), so running several spends no call's retries on the
others' refusals.
"""

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

AHEAD = 4  # pages fetched (or being detailed) but not yet stored, at most
DETAILERS = 4  # pages whose details are asked for at once; far below TikTok's 50/s


class _Done:
    pass


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


class Prefetch:
    """Iterate to get `(chain, page, detailed(page))`, each chain's pages in its order; the
    calls for the next pages are made meanwhile. An error of TikTok's is raised where its
    page would have been. `close()` (always: `with`) stops the threads, and waits for calls
    under way, before the fetch lets go of its lease."""

    def __init__(
        self, chains: Sequence[Iterable], detailed: Callable[[Any], Any], ahead: int = AHEAD
    ):
        self._queue: queue.Queue = queue.Queue(maxsize=ahead)
        self._stop = threading.Event()
        self._details = ThreadPoolExecutor(DETAILERS, thread_name_prefix="fetch-details")
        self._threads = [
            threading.Thread(
                target=self._run,
                args=(number, pages, detailed),
                name=f"fetch-prefetch-{number}",
                daemon=True,
            )
            for number, pages in enumerate(chains)
        ]
        for thread in self._threads:
            thread.start()

    def __enter__(self) -> "Prefetch":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def __iter__(self) -> Iterator[tuple[int, Any, Any]]:
        running = len(self._threads)
        while running:
            item = self._queue.get()
            if isinstance(item, _Done):
                running -= 1
                continue
            if isinstance(item, _Failed):
                raise item.error
            chain, page, details = item
            yield chain, page, details.result()  # its error, if any, is raised here

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()
        self._details.shutdown(wait=True, cancel_futures=True)

    def _run(self, chain: int, pages: Iterable, detailed: Callable[[Any], Any]) -> None:
        try:
            for page in pages:
                if self._stop.is_set():
                    return
                details: Future = self._details.submit(detailed, page)
                if not self._put((chain, page, details)):
                    return
            self._put(_Done())
        except BaseException as exc:  # handed to the fetch's thread, raised there
            self._put(_Failed(exc))

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False
