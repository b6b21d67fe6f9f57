"""The Etsy Open API v3 calls orderbot makes (Etsy reference §3–§7)."""

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx

from sync.clock import Clock, utc_now
from sync.errors import Rejected, Unavailable
from sync.etsy.auth import PLATFORM, EtsyAuth, check, read_json
from sync.http import Backoff, OnCall, RateLimiter, Retrier
from sync.quota import Quota, read_quota
from sync.tokens import TokenStore

log = logging.getLogger(__name__)

MAX_OFFSET = 12000  # Etsy refuses larger offsets
MAX_BATCH = 100  # listing ids per getListingsByListingIds (Etsy reference §6.2)
# Per-second quota headers; some answers spell the first one short.
_REMAINING_HEADERS = ("x-remaining-this-second", "x-remaining-this-secon")


class EtsyClient:
    def __init__(
        self,
        *,
        api_key: str,
        shared_secret: str,
        tokens: TokenStore,
        shop_id: int | str,
        base_url: str = "https://openapi.etsy.com",
        transport: httpx.BaseTransport | None = None,
        timeout: float = 15.0,
        rate_per_s: float = 10.0,
        headroom: float = 0.0,
        max_attempts: int = 6,
        clock: Clock = utc_now,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        on_call: OnCall | None = None,
    ) -> None:
        self._shop_id = quote(str(shop_id), safe="")
        self._monotonic = monotonic
        self._clock = clock
        auth = EtsyAuth(
            keystring=api_key,
            shared_secret=shared_secret,
            tokens=tokens,
            token_url=f"{base_url.rstrip('/')}/v3/public/oauth/token",
            clock=clock,
        )
        self._http = httpx.Client(
            base_url=base_url, transport=transport, timeout=timeout, auth=auth
        )
        # `headroom`: the fraction of `rate_per_s` left unused, for calls made concurrently.
        self._limiter = RateLimiter(rate_per_s * (1 - headroom), monotonic=monotonic, sleep=sleep)
        self._answered: deque[float] = deque(maxlen=1000)  # when recent answers arrived
        self._quota: Quota | None = None
        self._requests = 0  # answers received, retries included
        self._count_lock = threading.Lock()
        self._retrier = Retrier(
            platform=PLATFORM,
            client=self._http,
            limiter=self._limiter,
            backoff=Backoff(rng or random.Random()),
            max_attempts=max_attempts,
            sleep=sleep,
            monotonic=monotonic,
            on_call=on_call,
        )

    @property
    def requests(self) -> int:
        """How many answers this client has had from Etsy (each one spent quota)."""
        return self._requests

    @property
    def quota(self) -> Quota | None:
        """Etsy's daily quota as the last answer that carried it said (None before one)."""
        return self._quota

    def iter_listing_pages(
        self,
        *,
        state: str = "active",
        page_size: int = 100,
        sort_on: str | None = None,
        sort_order: str | None = None,
    ) -> Iterator[list[dict]]:
        """The shop's listings in one `state`, with their inventory, one page per request,
        in Etsy's order (`sort_on`/`sort_order` as asked; Etsy's docs say they apply only
        with search options, so callers that rely on them check).

        Follows `offset` until Etsy's `count` is reached. A page shorter than asked for does
        not end it (Etsy may serve fewer than `limit`); an empty page before `count` does,
        with a warning, since asking again from the same offset would loop."""
        path = f"/v3/application/shops/{self._shop_id}/listings"
        offset = 0
        while True:
            if offset > MAX_OFFSET:
                log.warning(
                    "etsy: the shop has more %s listings than Etsy pages through (offset %d);"
                    " the rest are left out",
                    state,
                    MAX_OFFSET,
                )
                return
            params = {
                "state": state,
                "limit": str(page_size),
                "offset": str(offset),
                "includes": "Inventory",
            }
            if sort_on:
                params["sort_on"] = sort_on
            if sort_order:
                params["sort_order"] = sort_order
            page = self._call("listings", "GET", path, params=params)
            results, count = _listing_page(page)
            if not results:
                if offset < count:
                    log.warning(
                        "etsy: %s listings page at offset %d came back empty though the count"
                        " is %d; stopping there",
                        state,
                        offset,
                        count,
                    )
                return
            yield results
            offset += len(results)
            if offset >= count:
                return

    def get_listings(self, listing_ids: list[int]) -> list[dict]:
        """getListingsByListingIds with their inventory, at most MAX_BATCH ids per request.
        A listing Etsy no longer has is left out of the answer."""
        path = "/v3/application/listings/batch"
        found: list[dict] = []
        for start in range(0, len(listing_ids), MAX_BATCH):
            chunk = listing_ids[start : start + MAX_BATCH]
            params = {
                "listing_ids": ",".join(str(int(listing_id)) for listing_id in chunk),
                "includes": "Inventory",
            }
            results, _count = _listing_page(
                self._call("listings_batch", "GET", path, params=params)
            )
            found.extend(results)
        return found

    def get_inventory(self, listing_id: int) -> dict:
        path = f"/v3/application/listings/{int(listing_id)}/inventory"
        return _inventory(self._call("get_inventory", "GET", path))

    def update_inventory(self, listing_id: int, body: dict) -> dict:
        """Replaces the listing's whole inventory; returns the new one (new product ids)."""
        path = f"/v3/application/listings/{int(listing_id)}/inventory"
        return _inventory(self._call("update_inventory", "PUT", path, json=body))

    def deactivate_listing(self, listing_id: int) -> None:
        """updateListing with `state=inactive`, form-encoded.

        Today's docs make updateListing a PATCH; the bundled June-2021 spec defines it as a PUT
        on the same path with the same form body. A PATCH answered 404 or 405 (an API that
        knows only the PUT) is sent once more as that PUT."""
        path = f"/v3/application/shops/{self._shop_id}/listings/{int(listing_id)}"
        form = {"state": "inactive"}
        try:
            self._call("deactivate_listing", "PATCH", path, data=form, read=self._check)
        except Rejected as exc:
            if exc.status not in (404, 405):
                raise
            log.info("etsy: PATCH updateListing answered HTTP %s; trying PUT", exc.status)
            self._call("deactivate_listing", "PUT", path, data=form, read=self._check)

    def _check(self, response: httpx.Response) -> None:
        check(response, now=self._clock())

    def _read_json(self, response: httpx.Response) -> Any:
        return read_json(response, now=self._clock())

    def close(self) -> None:
        self._retrier.close()

    def _call(
        self,
        endpoint: str,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        data: dict[str, str] | None = None,
        read: Callable[[httpx.Response], Any] | None = None,
    ) -> Any:
        reader = read or self._read_json

        def build() -> httpx.Request:
            return self._http.build_request(method, path, params=params, json=json, data=data)

        def watch_quota(response: httpx.Response) -> Any:
            answered = self._monotonic()
            self._answered.append(answered)
            with self._count_lock:
                self._requests += 1
            self._quota = read_quota(response.headers, now=self._clock()) or self._quota
            remaining = next(
                (response.headers[h] for h in _REMAINING_HEADERS if h in response.headers), None
            )
            if remaining is not None and remaining.strip() == "0":
                self._limiter.pause_until(self._quota_resets(response, answered))
            return reader(response)

        return self._retrier.call(endpoint, build, watch_quota)

    def _quota_resets(self, response: httpx.Response, answered: float) -> float:
        """When this second's spent quota frees up. All of the last `limit` calls counted in
        the spent second, so it began no later than the oldest of them reached Etsy, which
        was before its answer reached us: a second after that answer, the quota is back.
        Without the limit header, a whole second from now."""
        try:
            limit = int(response.headers.get("x-limit-per-second", ""))
        except ValueError:
            limit = 0
        if 0 < limit <= len(self._answered):
            return self._answered[-limit] + 1.0
        return answered + 1.0


def _listing_page(page: Any) -> tuple[list[dict], int]:
    try:
        results = page["results"]
        count = int(page["count"])
        if not isinstance(results, list):
            raise TypeError("results is not a list")
    except (KeyError, TypeError, ValueError) as exc:
        raise Unavailable(PLATFORM, f"listings: unreadable answer ({exc!r})") from exc
    return results, count


def _inventory(inventory: Any) -> dict:
    # Guarded because a PUT built from an inventory without products would wipe the listing.
    if not isinstance(inventory, dict) or not isinstance(inventory.get("products"), list):
        raise Unavailable(PLATFORM, "inventory answer without a products list")
    return inventory
