"""The TikTok Shop Partner API (202309) client: one entry point over the groups of calls
orderbot makes (orders, fulfilment, returns, products and stock), which share one signed
HTTP client, one rate limiter and one retry loop (calls.py)."""

import random
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import httpx

from sync.clock import Clock, utc_now
from sync.errors import AuthFailed
from sync.http import Backoff, OnCall, RateLimiter, Retrier, longest_call_s
from sync.tiktok import models
from sync.tiktok.auth import PLATFORM, TikTokAuth
from sync.tiktok.fulfillment import FulfillmentCalls
from sync.tiktok.orders import ORDER_IDS_PER_CALL, OrderCalls
from sync.tiktok.products import ProductCalls
from sync.tiktok.returns import ReturnCalls
from sync.tokens import TokenStore

__all__ = ["LONGEST_CALL", "ORDER_IDS_PER_CALL", "TikTokClient"]

MAX_ATTEMPTS = 6
TIMEOUT_S = 15.0  # httpx's, per phase of a send (of which connecting and reading take time)
# The longest a call that is not idempotent (a cancel, a shipment, an answer: their claims are
# timed by it) may take with these: an attempt may send the request, a token refresh and the
# request again, each connecting and then reading within the timeout.
LONGEST_CALL = timedelta(
    seconds=longest_call_s(max_attempts=MAX_ATTEMPTS, send_s=2 * TIMEOUT_S, sends_per_attempt=3)
)


class TikTokClient(OrderCalls, FulfillmentCalls, ReturnCalls, ProductCalls):
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
        timeout: float = TIMEOUT_S,
        rate_per_s: float = 50.0,
        max_attempts: int = MAX_ATTEMPTS,
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

    def close(self) -> None:
        self._retrier.close()
