"""TikTok's pages fetched ahead of their storing, on a thread of their own.

Storing a page is database work; the next search page (it needs this one's page token) and
its new orders' Get Order Detail are network waits. One thread makes those TikTok calls, one
at a time as before (so a call's retries under 429 bursts are never spent on its siblings'
turns), while the fetch's thread stores the page before: at most `AHEAD` pages wait in
memory, so memory stays flat however many pages there are.
"""

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

AHEAD = 2  # pages fetched but not yet stored, at most

_DONE = object()


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


class Prefetch:
    """Iterate to get `(page, detailed(page))` in TikTok's order; the calls for the next
    pages are made meanwhile. An error of TikTok's is raised where its page would have been.
    `close()` (always: `with`) stops the thread before the fetch lets go of its lease."""

    def __init__(self, pages: Iterable, detailed: Callable[[Any], Any], ahead: int = AHEAD):
        self._queue: queue.Queue = queue.Queue(maxsize=ahead)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(pages, detailed), name="fetch-prefetch", daemon=True
        )
        self._thread.start()

    def __enter__(self) -> "Prefetch":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self, pages: Iterable, detailed: Callable[[Any], Any]) -> None:
        try:
            for page in pages:
                if self._stop.is_set() or not self._put((page, detailed(page))):
                    return
            self._put(_DONE)
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
