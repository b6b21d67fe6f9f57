"""Simulation controls for other processes: JSON over HTTP under /_sandbox/, no auth.

POST   /_sandbox/catalog                 {"listings": [...]} or {"seed": 1, "n_listings": 40};
                                         a seed answers with the whole Catalog (cases included)
GET    /_sandbox/quantities              [{"listing_id", "sku", "properties", "quantity"}]
GET    /_sandbox/listings/{listing_id}   the listing with inventory, as its owner sees it
POST   /_sandbox/listings/{listing_id}/quantity  {"sku", "quantity", "properties"?}: the
                                         seller edits the stock (an absolute quantity)
POST   /_sandbox/listings/{listing_id}/sale      {"sku", "units"? (1), "properties"?}: an Etsy
                                         sale (409 when fewer are left, 400 when the listing
                                         is not active or the SKU has several quantities)
POST   /_sandbox/listings/{listing_id}/state {"state"}: a state change on Etsy's side
                                         (active, inactive, sold_out, draft, expired)
GET    /_sandbox/faults                  current faults; POST to change some; DELETE to clear
                                         (per listing: "forbid_listings": [ids] -> 403 on
                                         inventory PUT, "deleted_listings": [ids] -> 404;
                                         "ignore_sort_on": true -> listings by `created`)
GET    /_sandbox/config                  the switches; POST changes some of them:
                                         {"zero_stock_policy": "accept" | "reject",
                                          "renew_product_ids": bool,
                                          "update_listing_methods": ["PATCH", "PUT"]}
POST   /_sandbox/tokens                  a fresh token pair, as the token endpoint answers
POST   /_sandbox/tokens/expire           every access token issued so far expires now
POST   /_sandbox/oauth/code              {"code_challenge"?, "redirect_uri"?} -> {"code"}
POST   /_sandbox/clock                   {"offset_s": s} or {"advance_s": s} -> {"now"}
GET    /_sandbox/calls                   {"count", "calls"}; ?path= keeps paths starting so;
DELETE /_sandbox/calls                   forgets them
"""

from dataclasses import asdict
from typing import TYPE_CHECKING

from sandbox.etsy.auth import ApiError
from sandbox.etsy.store import OutOfStock
from sandbox.seed import make_catalog
from sandbox.server import Request, Response, Router

if TYPE_CHECKING:
    from sandbox.etsy.emulator import EtsySandbox

CONFIG = ("zero_stock_policy", "renew_product_ids", "update_listing_methods")


def control_router(sandbox: "EtsySandbox") -> Router:
    router = Router()

    def load_catalog(request: Request) -> Response:
        body = _object(request)
        if "listings" in body:
            sandbox.load_catalog(body["listings"])
            return Response.json({"count": len(body["listings"])})
        catalog = make_catalog(int(body.get("seed", 1)), int(body.get("n_listings", 40)))
        sandbox.load_catalog(catalog.listings)
        return Response.json({"count": len(catalog.listings), **asdict(catalog)})

    def quantities(request: Request) -> Response:
        rows = [
            {"listing_id": lid, "sku": sku, "properties": [list(kv) for kv in key], "quantity": q}
            for (lid, sku, key), q in sandbox.quantities().items()
        ]
        return Response.json({"quantities": rows})

    def listing(request: Request) -> Response:
        try:
            return Response.json(sandbox.listing(int(request.params["listing_id"])))
        except (KeyError, ValueError):
            raise ApiError(404, "Listing not found.") from None

    def set_quantity(request: Request) -> Response:
        body = _object(request)
        quantity, properties = body.get("quantity"), body.get("properties")
        if not isinstance(quantity, int) or quantity < 0:
            raise ApiError(400, "quantity must be an integer >= 0.")
        key = None if properties is None else tuple(tuple(kv) for kv in properties)
        try:
            listing_id = int(request.params["listing_id"])
            sandbox.set_quantity(listing_id, body.get("sku"), quantity, key)
        except (KeyError, ValueError) as exc:
            raise ApiError(404, f"No such product: {exc}") from None
        return Response.json(sandbox.listing(listing_id))

    def sale(request: Request) -> Response:
        body = _object(request)
        units, properties = body.get("units", 1), body.get("properties")
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ApiError(400, "units must be an integer >= 1.")
        key = None if properties is None else tuple(tuple(kv) for kv in properties)
        try:
            listing_id = int(request.params["listing_id"])
        except ValueError:
            raise ApiError(404, "Listing not found.") from None
        try:
            sandbox.sell(listing_id, body.get("sku"), units, key)
        except KeyError as exc:
            raise ApiError(404, f"No such product: {exc}") from None
        except OutOfStock as exc:
            raise ApiError(409, str(exc)) from None
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        return Response.json(sandbox.listing(listing_id))

    def set_state(request: Request) -> Response:
        body = _object(request)
        try:
            listing_id = int(request.params["listing_id"])
            sandbox.set_state(listing_id, body.get("state"))
        except KeyError:
            raise ApiError(404, "Listing not found.") from None
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        return Response.json(sandbox.listing(listing_id))

    def faults(request: Request) -> Response:
        if request.method == "POST":
            try:
                sandbox.faults.update(_object(request))
            except (TypeError, ValueError) as exc:
                raise ApiError(400, str(exc)) from None
        elif request.method == "DELETE":
            sandbox.faults.clear()
        return Response.json(sandbox.faults.snapshot())

    def config(request: Request) -> Response:
        body = _object(request) if request.method == "POST" else {}
        unknown = set(body) - set(CONFIG)
        if unknown:
            raise ApiError(400, f"unknown settings: {sorted(unknown)}")
        try:
            for name in CONFIG:
                if name in body:
                    setattr(sandbox, name, body[name])
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        return Response.json({name: getattr(sandbox, name) for name in CONFIG})

    def tokens(request: Request) -> Response:
        return Response.json(sandbox.issue_tokens())

    def expire(request: Request) -> Response:
        sandbox.expire_access_tokens()
        return Response.json({"expired": True})

    def code(request: Request) -> Response:
        body = _object(request)
        issued = sandbox.issue_code(body.get("code_challenge"), body.get("redirect_uri"))
        return Response.json({"code": issued})

    def clock(request: Request) -> Response:
        body = _object(request)
        if "offset_s" in body:
            sandbox.clock.set_offset(float(body["offset_s"]))
        sandbox.clock.advance(float(body.get("advance_s", 0)))
        return Response.json({"now": sandbox.clock.now()})

    def calls(request: Request) -> Response:
        if request.method == "DELETE":
            sandbox.reset_calls()
        prefix = request.query.get("path", "")
        kept = [asdict(call) for call in list(sandbox.calls) if call.path.startswith(prefix)]
        return Response.json({"count": len(kept), "calls": kept})

    router.add("POST", "/_sandbox/catalog", load_catalog)
    router.add("GET", "/_sandbox/quantities", quantities)
    router.add("GET", "/_sandbox/listings/{listing_id}", listing)
    router.add("POST", "/_sandbox/listings/{listing_id}/quantity", set_quantity)
    router.add("POST", "/_sandbox/listings/{listing_id}/sale", sale)
    router.add("POST", "/_sandbox/listings/{listing_id}/state", set_state)
    for method in ("GET", "POST", "DELETE"):
        router.add(method, "/_sandbox/faults", faults)
    for method in ("GET", "POST"):
        router.add(method, "/_sandbox/config", config)
    router.add("POST", "/_sandbox/tokens", tokens)
    router.add("POST", "/_sandbox/tokens/expire", expire)
    router.add("POST", "/_sandbox/oauth/code", code)
    router.add("POST", "/_sandbox/clock", clock)
    for method in ("GET", "DELETE"):
        router.add(method, "/_sandbox/calls", calls)
    return router


def _object(request: Request) -> dict:
    if not request.body:
        return {}
    try:
        body = request.json()
    except ValueError:
        raise ApiError(400, "The body must be JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object.")
    return body
