"""Handlers for the Open API v3 operations orderbot uses (Etsy reference §2, §6, §7).

A handler answers a `Request` with a `Response` or raises `ApiError`; the app key, rate limits
and faults are checked before it runs (see `emulator.py`), the per-listing refusals
(`Faults.forbid_listings`, `Faults.deleted_listings`) inside it, after the token. Of the
`includes` associations only `Inventory` is attached; the others are accepted and left out.

updateListing is PUT (form-encoded) in the bundled 2021 spec and PATCH in the current docs:
both are routed, and `update_listing_methods` says which are answered (405 otherwise).
"""

import json

from sandbox.etsy.auth import ApiError, Tokens
from sandbox.etsy.faults import Faults
from sandbox.etsy.inventory_rules import RuleError, parse_put
from sandbox.etsy.shapes import inventory_json, listing_json
from sandbox.etsy.store import STATES, Listing, Store
from sandbox.server import Request, Response, Router

TOKEN_PATH = "/v3/public/oauth/token"
MAX_OFFSET = 12_000
MAX_BATCH = 100
INCLUDES = {
    name.lower()
    for name in (
        "Shipping",
        "Images",
        "Shop",
        "User",
        "Translations",
        "Inventory",
        "Videos",
        "Personalization",
        "BuyerPrice",
    )
}
SORT_ON = {
    "created": lambda item: item.creation_timestamp,
    "updated": lambda item: item.last_modified_timestamp,
    "price": lambda item: min(o.amount / o.divisor for p in item.products for o in p.offerings),
    "score": lambda item: item.listing_id,  # relevance has no meaning here
}
UPDATE_LISTING_METHODS = ("PATCH", "PUT")
DESCENDING = ("desc", "descending", "down")
SORT_ORDERS = (*DESCENDING, "asc", "ascending", "up")


class EtsyApi:
    def __init__(
        self,
        *,
        store: Store,
        tokens: Tokens,
        shop_id: int,
        user_id: int,
        zero_stock_policy: str,
        application_id: int,
        faults: Faults,
        renew_product_ids: bool = True,
        update_listing_methods: tuple[str, ...] = UPDATE_LISTING_METHODS,
    ) -> None:
        self._store = store
        self._faults = faults
        self.renew_product_ids = renew_product_ids
        self.update_listing_methods = update_listing_methods
        self._tokens = tokens
        self._shop_id = shop_id
        self._user_id = user_id
        self._application_id = application_id
        self.zero_stock_policy = zero_stock_policy

    def register(self, router: Router) -> None:
        app = "/v3/application"
        router.add("POST", TOKEN_PATH, self.token)
        router.add("GET", f"{app}/openapi-ping", self.ping)
        router.add("GET", f"{app}/users/me", self.get_me)
        router.add("GET", f"{app}/shops/{{shop_id}}/listings", self.get_listings_by_shop)
        for method in UPDATE_LISTING_METHODS:
            router.add(
                method, f"{app}/shops/{{shop_id}}/listings/{{listing_id}}", self.update_listing
            )
        router.add("GET", f"{app}/listings/batch", self.get_listings_by_ids)  # before {listing_id}
        router.add("GET", f"{app}/listings/{{listing_id}}", self.get_listing)
        router.add("GET", f"{app}/listings/{{listing_id}}/inventory", self.get_inventory)
        router.add("PUT", f"{app}/listings/{{listing_id}}/inventory", self.update_inventory)

    def token(self, request: Request) -> Response:
        if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
            raise ApiError(400, "invalid_request", error_description="Send a form-encoded body.")
        return Response.json(self._tokens.grant(request.form()))

    def ping(self, request: Request) -> Response:
        return Response.json({"application_id": self._application_id})

    def get_me(self, request: Request) -> Response:
        user_id = self._user(request)
        return Response.json({"user_id": user_id, "shop_id": self._shop_id})

    def get_listings_by_shop(self, request: Request) -> Response:
        self._user(request)
        self._own_shop(request)
        query = request.query
        state = query.get("state", "active")
        if state not in STATES:
            raise ApiError(400, f"state must be one of {', '.join(STATES)}.")
        limit = _int_query(query, "limit", 25, 1, 100)
        offset = _int_query(query, "offset", 0, 0, MAX_OFFSET)
        sort_on = query.get("sort_on", "created")
        if sort_on not in SORT_ON:
            raise ApiError(400, f"sort_on must be one of {', '.join(SORT_ON)}.")
        sort_order = query.get("sort_order", "desc")
        if sort_order not in SORT_ORDERS:
            raise ApiError(400, "sort_order must be asc or desc.")
        with_inventory = "inventory" in _includes(query)
        if self._faults.ignore_sort_on:
            sort_on, sort_order = "created", "desc"
        with self._store.lock:
            found = self._store.in_state(state)
            by = SORT_ON[sort_on]
            # listing_id breaks ties, so pages never overlap or skip.
            found.sort(
                key=lambda item: (by(item), item.listing_id), reverse=sort_order in DESCENDING
            )
            page = [self._json(item, True, with_inventory) for item in found[offset:][:limit]]
        return Response.json({"count": len(found), "results": page})

    def get_listing(self, request: Request) -> Response:
        owner = self._maybe_owner(request)
        listing = self._listing(request)
        with_inventory = "inventory" in _includes(request.query)
        with self._store.lock:
            return Response.json(self._json(listing, owner, with_inventory))

    def get_listings_by_ids(self, request: Request) -> Response:
        owner = self._maybe_owner(request)
        raw = [part.strip() for part in request.query.get("listing_ids", "").split(",")]
        raw = [part for part in raw if part]
        if not raw or not all(part.isdigit() for part in raw):
            raise ApiError(400, "listing_ids must be a comma-separated list of listing ids.")
        if len(raw) > MAX_BATCH:
            raise ApiError(400, f"listing_ids takes at most {MAX_BATCH} ids.")
        with_inventory = "inventory" in _includes(request.query)
        with self._store.lock:
            found = [self._store.get(int(part)) for part in raw]
            found = [item for item in found if item and not self._faults.deleted(item.listing_id)]
            results = [self._json(item, owner, with_inventory) for item in found]
        return Response.json({"count": len(results), "results": results})

    def get_inventory(self, request: Request) -> Response:
        self._user(request)
        listing = self._listing(request)
        with self._store.lock:
            return Response.json(inventory_json(listing))

    def update_inventory(self, request: Request) -> Response:
        self._user(request)
        listing = self._listing(request)
        if self._faults.forbids(listing.listing_id):
            raise ApiError(403, "You do not have permission to update this listing's inventory.")
        if "application/json" not in request.headers.get("content-type", ""):
            raise ApiError(400, "updateListingInventory takes an application/json body.")
        try:
            body = request.json()
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(400, f"The body is not valid JSON: {exc}") from exc
        with self._store.lock:
            existing = {p.key for p in listing.products}
            allow_zero = self.zero_stock_policy == "accept"
            try:
                new = parse_put(body, existing, allow_zero_stock=allow_zero)
            except RuleError as exc:
                raise ApiError(400, str(exc)) from exc
            self._store.replace_inventory(listing, new, renew_ids=self.renew_product_ids)
            return Response.json(inventory_json(listing))

    def update_listing(self, request: Request) -> Response:
        if request.method not in self.update_listing_methods:
            raise ApiError(405, "No such operation.")
        self._user(request)
        self._own_shop(request)
        listing = self._listing(request)
        state = _body_fields(request).get("state")  # other fields are accepted and ignored
        if state is not None and state not in ("active", "inactive"):
            raise ApiError(400, "state can only be set to active or inactive.")
        if state is not None:
            self._store.set_state(listing, state)
        with self._store.lock:
            return Response.json(self._json(listing, True, False))

    def _json(self, listing: Listing, owner: bool, with_inventory: bool) -> dict:
        return listing_json(
            listing,
            shop_id=self._shop_id,
            user_id=self._user_id,
            owner=owner,
            with_inventory=with_inventory,
        )

    def _user(self, request: Request) -> int:
        return self._tokens.user_for(request.headers.get("authorization"))

    def _maybe_owner(self, request: Request) -> bool:
        """Key-only endpoints: a token is optional, but one that is sent must be valid."""
        if "authorization" not in request.headers:
            return False
        return self._user(request) == self._user_id

    def _own_shop(self, request: Request) -> None:
        if _int_path(request, "shop_id") != self._shop_id:
            raise ApiError(404, "Shop not found.")

    def _listing(self, request: Request) -> Listing:
        listing = self._store.get(_int_path(request, "listing_id"))
        if listing is None or self._faults.deleted(listing.listing_id):
            raise ApiError(404, "Listing not found.")
        return listing


def _int_path(request: Request, name: str) -> int:
    raw = request.params[name]
    if not raw.isdigit() or int(raw) < 1:
        raise ApiError(400, f"{name} must be a positive integer.")
    return int(raw)


def _int_query(query: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer.") from None
    if not low <= value <= high:
        raise ApiError(400, f"{name} must be between {low} and {high}.")
    return value


def _includes(query: dict[str, str]) -> set[str]:
    asked = {part.strip().lower() for part in query.get("includes", "").split(",") if part.strip()}
    unknown = asked - INCLUDES
    if unknown:
        raise ApiError(400, f"includes has an unknown association: {sorted(unknown)[0]}.")
    return asked


def _body_fields(request: Request) -> dict:
    """updateListing is form-encoded in both specs; a JSON object is taken too (lenient)."""
    if "application/json" in request.headers.get("content-type", ""):
        try:
            body = request.json()
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(400, f"The body is not valid JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise ApiError(400, "The body must be an object.")
        return body
    return request.form()
