"""The TikTok Shop Partner API (202309) calls orderbot makes (TikTok reference §7–§13)."""

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar
from urllib.parse import quote

import httpx

from sync.clock import Clock, utc_now
from sync.errors import AuthFailed, Unavailable
from sync.http import Backoff, OnCall, RateLimiter, Retrier
from sync.tiktok import models
from sync.tiktok.auth import PLATFORM, TikTokAuth, read_envelope
from sync.tokens import TokenStore

log = logging.getLogger(__name__)

T = TypeVar("T")

ORDER_IDS_PER_CALL = 50  # Get Order Detail takes at most 50 ids
CANCELLATIONS_PAGE_SIZE = 50  # Search Cancellations' maximum page size


class TikTokClient:
    def __init__(
        self,
        *,
        app_key: str,
        app_secret: str,
        tokens: TokenStore,
        base_url: str = "https://open-api.tiktokglobalshop.com",
        auth_url: str = "https://auth.tiktok-shops.com",
        shop_cipher: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 15.0,
        rate_per_s: float = 50.0,
        max_attempts: int = 6,
        clock: Clock = utc_now,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        on_call: OnCall | None = None,
    ) -> None:
        self._cipher = shop_cipher
        self._clock = clock
        self._cipher_lock = threading.Lock()
        auth = TikTokAuth(
            app_key=app_key,
            app_secret=app_secret,
            tokens=tokens,
            auth_url=auth_url,
            clock=clock,
            shop_cipher=self.shop_cipher,
        )
        http = httpx.Client(base_url=base_url, transport=transport, timeout=timeout, auth=auth)
        self._retrier = Retrier(
            platform=PLATFORM,
            client=http,
            limiter=RateLimiter(rate_per_s, monotonic=monotonic, sleep=sleep),
            backoff=Backoff(rng or random.Random()),
            max_attempts=max_attempts,
            sleep=sleep,
            monotonic=monotonic,
            on_call=on_call,
        )
        self._http = http

    def authorized_shops(self) -> list[models.Shop]:
        return self._call(
            "authorized_shops",
            "GET",
            "/authorization/202309/shops",
            lambda data: [models.parse_shop(shop) for shop in data.get("shops") or ()],
        )

    def shop_cipher(self) -> str:
        """The configured cipher, else the first authorised shop's, looked up once."""
        with self._cipher_lock:
            if self._cipher is None:
                shops = self.authorized_shops()
                if not shops:
                    raise AuthFailed(PLATFORM, "the access token is authorised for no shop")
                self._cipher = shops[0].cipher
            return self._cipher

    def search_orders(
        self,
        *,
        update_time_ge: int | None = None,
        update_time_lt: int | None = None,
        create_time_ge: int | None = None,
        create_time_lt: int | None = None,
        order_status: str | None = None,
        page_size: int = 100,
        sort_field: str = "update_time",
        sort_order: str = "ASC",
    ) -> Iterator[models.OrderPage]:
        """One request per page, following `next_page_token` until it is empty (or repeats).

        Orders that cannot be read are left out of `OrderPage.orders` and named in
        `OrderPage.skipped` (each logged with what is wrong)."""
        filters = {
            "order_status": order_status,
            "create_time_ge": create_time_ge,
            "create_time_lt": create_time_lt,
            "update_time_ge": update_time_ge,
            "update_time_lt": update_time_lt,
        }
        body = {name: value for name, value in filters.items() if value is not None}
        params = {"page_size": str(page_size), "sort_field": sort_field, "sort_order": sort_order}
        path = "/order/202309/orders/search"
        yield from self._pages("search_orders", path, params, body, models.parse_order_page)

    def get_orders(
        self, order_ids: Sequence[str], *, skipped: list[str] | None = None
    ) -> list[models.TikTokOrder]:
        """The readable ones of these orders. One that cannot be read is logged and left out;
        its id is appended to `skipped` when a list is given."""
        orders: list[models.TikTokOrder] = []
        for start in range(0, len(order_ids), ORDER_IDS_PER_CALL):
            ids = ",".join(order_ids[start : start + ORDER_IDS_PER_CALL])
            found, unreadable = self._call(
                "get_orders",
                "GET",
                "/order/202309/orders",
                lambda data: models.parse_orders(data.get("orders")),
                params={"ids": ids},
            )
            orders += found
            if skipped is not None:
                skipped += unreadable
        return orders

    def cancel_order(self, order_id: str, cancel_reason: str) -> models.CancelResult:
        """Cancel Order is a POST that is not idempotent: a retry after a cancel that landed
        (its answer lost) would meet 25001011/25001051 and report a refusal. So a timeout, a
        lost connection or a 5xx ends it as `Unavailable` after one attempt, and the caller
        re-reads the order to learn what happened; a 429 (nothing done) is still retried."""
        return self._call(
            "cancel_order",
            "POST",
            "/return_refund/202309/cancellations",
            models.parse_cancel_result,
            body={"order_id": order_id, "cancel_reason": cancel_reason},
            idempotent=False,
        )

    def search_cancellations(self, *, order_ids: Sequence[str]) -> list[models.Cancellation]:
        """Every cancellation record of these orders; an order may have several (pick one
        with `models.effective_cancellations`)."""
        if not order_ids:  # an empty filter would match every cancellation of the shop
            return []
        params = {"page_size": str(CANCELLATIONS_PAGE_SIZE)}
        body = {"order_ids": list(order_ids)}
        path = "/return_refund/202309/cancellations/search"
        pages = self._pages("search_cancellations", path, params, body, _cancellations)
        return [cancellation for page in pages for cancellation in page]

    def get_tracking(self, order_id: str) -> list[models.TrackingEvent]:
        return self._call(
            "get_tracking",
            "GET",
            f"/fulfillment/202309/orders/{quote(order_id, safe='')}/tracking",
            lambda data: [models.parse_tracking_event(e) for e in data.get("tracking") or ()],
        )

    def close(self) -> None:
        self._retrier.close()

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


def _cancellations(data: dict) -> list[models.Cancellation]:
    return models.parse_cancellations(data.get("cancellations"))
