"""`EtsySandbox`: the Etsy Open API v3 emulator on loopback, with simulation controls.

Every /v3 request passes, in order: latency, the app key (`x-api-key`; optional on the token
endpoint, whose documented examples send none), the rate limits (on /v3/application), the
pre-handler faults, the handler, the post-handler faults. Each is recorded in `calls`.

Where the reference is silent or sources disagree, a switch (also under `/_sandbox/config`):
- `zero_stock_policy` ("accept"): whether a PUT that leaves no stock at all is taken (§7.2).
- `renew_product_ids` (True): new product and offering ids on every inventory update, as SPEC §3
  says; False keeps them, since the Etsy reference does not state it.
- `update_listing_methods` (("PATCH", "PUT")): updateListing is PUT in the 2021 spec, PATCH in
  the current docs; a method left out answers 405.
- `accept_keystring_only` (False): the older docs' bare-keystring `x-api-key`.
Per-listing 403 and 404 are faults: `faults.forbid_listings`, `faults.deleted_listings`.
"""

import json
import threading
import time
from dataclasses import dataclass

from sandbox.clock import SandboxClock
from sandbox.etsy.api import TOKEN_PATH, UPDATE_LISTING_METHODS, EtsyApi
from sandbox.etsy.auth import ApiError, Tokens, check_api_key
from sandbox.etsy.control import control_router
from sandbox.etsy.faults import Faults
from sandbox.etsy.ratelimit import RateLimiter
from sandbox.etsy.shapes import listing_json
from sandbox.etsy.store import STATES, Store
from sandbox.server import HTTPApp, Request, Response, Router

ZERO_STOCK_POLICIES = ("accept", "reject")
APPLICATION_ID = 1_234_567


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: object  # parsed JSON or form fields; None when empty
    status: int | None  # None: the connection was dropped


class EtsySandbox:
    def __init__(
        self,
        *,
        keystring: str = "sandboxkeystring",
        shared_secret: str = "sandboxsecret",
        clock: SandboxClock | None = None,
        shop_id: int = 5550001,
        user_id: int = 777001,
        access_token_ttl_s: int = 3600,
        rate_per_s: int = 10,
        per_day: int = 100_000,
        accept_keystring_only: bool = False,
        zero_stock_policy: str = "accept",  # unknown in the docs (§7.2), so configurable
        renew_product_ids: bool = True,  # SPEC §3; not in the Etsy reference, so configurable
        update_listing_methods: tuple[str, ...] = UPDATE_LISTING_METHODS,  # 2021 PUT, now PATCH
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.keystring = keystring
        self.shared_secret = shared_secret
        self.shop_id = shop_id
        self.user_id = user_id
        self.accept_keystring_only = accept_keystring_only
        self.clock = clock or SandboxClock()
        self.store = Store(self.clock.now)
        self.tokens = Tokens(
            keystring=keystring,
            user_id=user_id,
            now=self.clock.now,
            access_ttl_s=access_token_ttl_s,
        )
        self.limiter = RateLimiter(per_second=rate_per_s, per_day=per_day, day_clock=self.clock.now)
        self.faults = Faults()
        self.calls: list[Call] = []
        self._calls_lock = threading.Lock()
        self._api = EtsyApi(
            store=self.store,
            tokens=self.tokens,
            shop_id=shop_id,
            user_id=user_id,
            zero_stock_policy="accept",
            application_id=APPLICATION_ID,
            faults=self.faults,
        )
        self.zero_stock_policy = zero_stock_policy
        self.renew_product_ids = renew_product_ids
        self.update_listing_methods = update_listing_methods
        self._router = Router()
        self._api.register(self._router)
        self._control = control_router(self)
        self._address = (host, port)
        self._http: HTTPApp | None = None

    @property
    def zero_stock_policy(self) -> str:
        return self._api.zero_stock_policy

    @zero_stock_policy.setter
    def zero_stock_policy(self, policy: str) -> None:
        if policy not in ZERO_STOCK_POLICIES:
            raise ValueError(f"zero_stock_policy must be one of {ZERO_STOCK_POLICIES}")
        self._api.zero_stock_policy = policy

    @property
    def renew_product_ids(self) -> bool:
        return self._api.renew_product_ids

    @renew_product_ids.setter
    def renew_product_ids(self, renew: bool) -> None:
        if not isinstance(renew, bool):
            raise ValueError("renew_product_ids must be true or false")
        self._api.renew_product_ids = renew

    @property
    def update_listing_methods(self) -> tuple[str, ...]:
        return self._api.update_listing_methods

    @update_listing_methods.setter
    def update_listing_methods(self, methods) -> None:
        if isinstance(methods, str) or not methods:
            raise ValueError(
                f"update_listing_methods must be a non-empty list of {UPDATE_LISTING_METHODS}"
            )
        chosen = tuple(dict.fromkeys(str(method).upper() for method in methods))
        if not set(chosen) <= set(UPDATE_LISTING_METHODS):
            raise ValueError(f"update_listing_methods may only name {UPDATE_LISTING_METHODS}")
        self._api.update_listing_methods = chosen

    @property
    def url(self) -> str:
        if self._http is None:
            raise RuntimeError("EtsySandbox is not started")
        return self._http.url

    def start(self) -> "EtsySandbox":
        self._http = HTTPApp(self._dispatch, *self._address).start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.stop()
            self._http = None

    def __enter__(self) -> "EtsySandbox":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def issue_tokens(self) -> dict:
        return self.tokens.issue()

    def issue_code(self, code_challenge: str | None = None, redirect_uri: str | None = None) -> str:
        return self.tokens.issue_code(code_challenge, redirect_uri)

    def expire_access_tokens(self) -> None:
        self.tokens.expire_access()

    def load_catalog(self, listings: list[dict]) -> None:
        self.store.load(listings)

    def quantities(self) -> dict[tuple[int, str | None, tuple], int]:
        with self.store.lock:
            return {
                (item.listing_id, p.sku, p.key): p.quantity
                for item in self.store.all()
                for p in item.products
            }

    def listing(self, listing_id: int) -> dict:
        """The listing as its owner sees it, inventory included."""
        with self.store.lock:
            found = self.store.get(listing_id)
            if found is None:
                raise KeyError(listing_id)
            return listing_json(
                found, shop_id=self.shop_id, user_id=self.user_id, owner=True, with_inventory=True
            )

    def set_quantity(self, listing_id: int, sku: str | None, qty: int, key=None) -> None:
        """A seller's stock edit on every product with `sku`, or only the one with `key`, and
        on every product sharing its quantity (a shared quantity pool moves as one)."""
        self.store.set_quantity(listing_id, sku, qty, key)

    def sell(self, listing_id: int, sku: str | None, units: int = 1, key=None) -> None:
        """An Etsy-side sale: the product's quantity drops by `units` (and every product
        sharing its quantity with it), as an Etsy order would leave it."""
        self.store.sell(listing_id, sku, units, key)

    def set_state(self, listing_id: int, state: str) -> None:
        """A state change made on Etsy's side (the seller deactivates or drafts a listing,
        Etsy expires one); its `last_modified_timestamp` moves, as with updateListing."""
        if state not in STATES:
            raise ValueError(f"state must be one of {', '.join(STATES)}")
        with self.store.lock:
            found = self.store.get(listing_id)
            if found is None:
                raise KeyError(listing_id)
            self.store.set_state(found, state)

    def reset_calls(self) -> None:
        with self._calls_lock:
            self.calls.clear()

    def _dispatch(self, request: Request) -> Response | None:
        if request.path.startswith("/_sandbox/"):
            return _answer(self._control, request)
        response = self._serve(request)
        with self._calls_lock:
            self.calls.append(
                Call(
                    request.method,
                    request.path,
                    dict(request.query),
                    _parsed_body(request),
                    None if response is None else response.status,
                )
            )
        return response

    def _serve(self, request: Request) -> Response | None:
        faults = self.faults
        if faults.latency_ms > 0:
            time.sleep(faults.latency_ms / 1000)  # the emulated network is slow, on purpose
        limit_headers: dict[str, str] = {}
        try:
            self._admit(request, limit_headers)
            response = _answer(self._router, request)
        except ApiError as exc:
            response = _error(exc)
        if faults.hit(faults.reset_rate):
            return None
        if faults.hit(faults.malformed_rate):
            response.body = response.body[: len(response.body) // 2]
        response.headers = {**limit_headers, **response.headers}
        return response

    def _admit(self, request: Request, limit_headers: dict[str, str]) -> None:
        """Key, limits and pre-handler faults; fills `limit_headers` once the limits are taken."""
        key = request.headers.get("x-api-key")
        if request.path != TOKEN_PATH or key is not None:
            check_api_key(key, self.keystring, self.shared_secret, self.accept_keystring_only)
        if request.path.startswith("/v3/application/"):
            verdict = self.limiter.take(self.keystring)
            limit_headers.update(verdict.headers)
            if not verdict.allowed:
                raise _too_many(verdict.retry_after_s)
        faults = self.faults
        if faults.take_burst():
            raise _too_many(1)
        if faults.hit(faults.error_rate):
            raise ApiError(500, "Internal server error (injected).")
        if request.method in ("PUT", "PATCH") and faults.hit(faults.conflict_rate):
            raise ApiError(409, "The listing is being edited by another process, try again.")


def _answer(router: Router, request: Request) -> Response:
    handler, params, path_known = router.match(request.method, request.path)
    try:
        if handler is None:
            raise ApiError(405 if path_known else 404, "No such operation.")
        request.params = params
        return handler(request)
    except ApiError as exc:
        return _error(exc)


def _error(exc: ApiError) -> Response:
    return Response.json({"error": exc.message, **exc.extra}, exc.status, exc.headers)


def _too_many(retry_after_s: int) -> ApiError:
    return ApiError(429, "Too many requests.", headers={"retry-after": str(retry_after_s)})


def _parsed_body(request: Request) -> object:
    if not request.body:
        return None
    content_type = request.headers.get("content-type", "")
    try:
        if "json" in content_type:
            return request.json()
        if "form-urlencoded" in content_type:
            return request.form()
        return request.body.decode("utf-8")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return request.body.decode("utf-8", "replace")
