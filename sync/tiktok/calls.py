"""What every group of TikTok calls shares: one `_call` through the shared retry loop, and
token paging. `TikTokClient` sets the HTTP client, the retrier and the clock."""

import json
import logging
from collections.abc import Callable, Iterator
from typing import TypeVar
from urllib.parse import quote

import httpx

from sync.clock import Clock
from sync.errors import Unavailable
from sync.http import Retrier
from sync.tiktok import models
from sync.tiktok.auth import PLATFORM, read_envelope

log = logging.getLogger("sync.tiktok.client")

T = TypeVar("T")


class TikTokCalls:
    _http: httpx.Client
    _retrier: Retrier
    _clock: Clock

    def _pages(
        self,
        endpoint: str,
        path: str,
        params: dict[str, str],
        body: dict,
        parse: Callable[[dict], T],
    ) -> Iterator[T]:
        """Each page of a token-paged search, parsed; one request per page, on demand.

        Stops at an empty `next_page_token`, and also, with a warning, at a token already
        followed: a server repeating its cursor would otherwise be asked forever."""
        token = ""
        followed: set[str] = set()
        while True:
            page_params = {**params, "page_token": token} if token else params
            page, token = self._call(
                endpoint,
                "POST",
                path,
                lambda data: (parse(data), models.next_page_token(data)),
                params=page_params,
                body=body,
            )
            yield page
            if not token:
                return
            if token in followed:
                log.warning(
                    "tiktok %s: next_page_token repeats after %d pages; stopping there",
                    endpoint,
                    len(followed) + 1,
                )
                return
            followed.add(token)

    def _call(
        self,
        endpoint: str,
        method: str,
        path: str,
        parse: Callable[[dict], T],
        *,
        params: dict[str, str] | None = None,
        body: dict | None = None,
        idempotent: bool = True,
    ) -> T:
        # Serialised once, compactly: the signature covers these exact bytes.
        content = None if body is None else json.dumps(body, separators=(",", ":")).encode()

        def build() -> httpx.Request:
            return self._http.build_request(method, path, params=params, content=content)

        def read(response: httpx.Response) -> T:
            data = read_envelope(response, now=self._clock())
            try:
                return parse(data)
            except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
                # A well-formed envelope whose data lacks the documented shape.
                raise Unavailable(PLATFORM, f"{endpoint}: unreadable answer ({exc!r})") from exc

        return self._retrier.call(endpoint, build, read, idempotent=idempotent)


def segment(value: str) -> str:
    """An id as one path segment."""
    return quote(value, safe="")
