"""`/_sandbox/...`: the simulation controls over HTTP (JSON in, JSON out, no signature), so
another process (the CLI demo, a kill test) can drive the emulator. Thin over its methods.

    POST /_sandbox/orders                      add_order(**body) -> the order
    GET  /_sandbox/orders                      {"orders": [...]}
    GET  /_sandbox/orders/{id}                 the order
    POST /_sandbox/orders/seed                 {"n", "statuses"?} -> {"order_ids"}
    POST /_sandbox/orders/{id}/status          {"status"} -> the order
    POST /_sandbox/orders/{id}/advance         -> the order
    POST /_sandbox/orders/{id}/buyer_cancel    {"reason"?, "pending"?} -> the cancellation
    POST /_sandbox/orders/{id}/system_cancel   {"reason_key"?} -> the cancellation
    POST /_sandbox/orders/{id}/deliver         {"at"?} -> the order
    POST /_sandbox/orders/{id}/carrier_scan    {"package_id"?} -> the order (one package, or
                                               all, collected: IN_TRANSIT once all are)
    POST /_sandbox/orders/{id}/malform         {"how": name | null} -> the order, as shown
    POST /_sandbox/orders/{id}/returns         {"type"?: REFUND | RETURN_AND_REFUND (default) |
                                               REPLACEMENT, "line_item_ids"?, "reason"?}
                                               -> the request, as Search Returns shows it
    GET  /_sandbox/returns                     {"returns": [...]}
    POST /_sandbox/returns/{id}/buyer_ship     {"tracking_number"?} -> the request
    POST /_sandbox/returns/{id}/receive        the parcel reaches the seller -> the request
    POST /_sandbox/returns/{id}/withdraw       the buyer takes it back -> the request
    GET  /_sandbox/cancellations               {"cancellations": [...]}
    GET|PUT /_sandbox/catalog                  {"skus": [...]}
    GET  /_sandbox/products                    {"products": [...]} with stock per warehouse
    POST /_sandbox/products/{id}/status        {"status"} (ACTIVATE, SELLER_DEACTIVATED, ...)
    GET  /_sandbox/inventory/{sku_id}          the SKU as Inventory Search shows it
    PUT  /_sandbox/stock                       {sku_id: [{"warehouse_id", "quantity"}]}
    GET|POST /_sandbox/clock                   {"advance_s"} or {"offset_s"} -> {"now"}
    POST /_sandbox/tick                        TikTok's timed rules now -> {"now"}
    GET|POST /_sandbox/faults                  {field: value, ...} -> the fault settings
    GET|POST /_sandbox/config                  {"combined_on_search"?} -> the settings
    GET|POST /_sandbox/stock_config            {"zero_quantity"?: "accept" | "reject"}: whether
                                               Update Inventory takes quantity 0
    POST /_sandbox/tokens                      -> issue_tokens()
    POST /_sandbox/tokens/expire               every access token expires
    POST /_sandbox/auth_code                   -> {"auth_code"}
    GET|POST /_sandbox/webhook                 {"url", "duplicate"?} -> settings and deliveries
    GET|DELETE /_sandbox/calls                 {"count", "by_path"} / reset
"""

import json
from collections import Counter
from typing import TYPE_CHECKING

from sandbox.server import Request, Response, Router

if TYPE_CHECKING:
    from .emulator import TikTokSandbox


class Controls:
    def __init__(self, sandbox: "TikTokSandbox"):
        self._sandbox = sandbox
        self._router = Router()
        routes = {
            ("POST", "/_sandbox/orders"): self._add_order,
            ("GET", "/_sandbox/orders"): self._orders,
            ("POST", "/_sandbox/orders/seed"): self._seed,
            ("GET", "/_sandbox/orders/{order_id}"): self._order,
            ("POST", "/_sandbox/orders/{order_id}/status"): self._set_status,
            ("POST", "/_sandbox/orders/{order_id}/advance"): self._advance,
            ("POST", "/_sandbox/orders/{order_id}/buyer_cancel"): self._buyer_cancel,
            ("POST", "/_sandbox/orders/{order_id}/system_cancel"): self._system_cancel,
            ("POST", "/_sandbox/orders/{order_id}/deliver"): self._deliver,
            ("POST", "/_sandbox/orders/{order_id}/carrier_scan"): self._carrier_scan,
            ("POST", "/_sandbox/orders/{order_id}/malform"): self._malform,
            ("POST", "/_sandbox/orders/{order_id}/returns"): self._open_return,
            ("GET", "/_sandbox/returns"): self._returns,
            ("POST", "/_sandbox/returns/{return_id}/buyer_ship"): self._return_shipped,
            ("POST", "/_sandbox/returns/{return_id}/receive"): self._return_received,
            ("POST", "/_sandbox/returns/{return_id}/withdraw"): self._withdraw_return,
            ("GET", "/_sandbox/cancellations"): self._cancellations,
            ("GET", "/_sandbox/catalog"): self._catalog,
            ("PUT", "/_sandbox/catalog"): self._set_catalog,
            ("GET", "/_sandbox/products"): self._products,
            ("POST", "/_sandbox/products/{product_id}/status"): self._product_status,
            ("GET", "/_sandbox/inventory/{sku_id}"): self._inventory,
            ("PUT", "/_sandbox/stock"): self._set_stock,
            ("GET", "/_sandbox/clock"): self._now,
            ("POST", "/_sandbox/clock"): self._move_clock,
            ("POST", "/_sandbox/tick"): self._tick,
            ("GET", "/_sandbox/faults"): self._faults,
            ("POST", "/_sandbox/faults"): self._set_faults,
            ("GET", "/_sandbox/config"): self._config,
            ("POST", "/_sandbox/config"): self._set_config,
            ("GET", "/_sandbox/stock_config"): self._stock_config,
            ("POST", "/_sandbox/stock_config"): self._set_stock_config,
            ("POST", "/_sandbox/tokens"): self._issue_tokens,
            ("POST", "/_sandbox/tokens/expire"): self._expire_tokens,
            ("POST", "/_sandbox/auth_code"): self._auth_code,
            ("GET", "/_sandbox/webhook"): self._webhook,
            ("POST", "/_sandbox/webhook"): self._set_webhook,
            ("GET", "/_sandbox/calls"): self._calls,
            ("DELETE", "/_sandbox/calls"): self._reset_calls,
        }
        for (method, pattern), handler in routes.items():
            self._router.add(method, pattern, handler)

    def handle(self, request: Request) -> Response:
        handler, params, known = self._router.match(request.method, request.path)
        if handler is None:
            status = 405 if known else 404
            return Response.json({"error": f"no control {request.method} {request.path}"}, status)
        try:
            body = json.loads(request.body) if request.body else {}
            return Response.json(handler(body, **params))
        except KeyError as error:
            return Response.json({"error": f"not found: {error.args[0]}"}, 404)
        except (ValueError, TypeError, AttributeError) as error:  # a malformed control body
            return Response.json({"error": str(error)}, 400)

    def _add_order(self, body: dict) -> dict:
        return self._sandbox.add_order(**body)

    def _orders(self, body: dict) -> dict:
        return {"orders": self._sandbox.orders()}

    def _seed(self, body: dict) -> dict:
        ids = self._sandbox.seed_orders(int(body["n"]), statuses=body.get("statuses"))
        return {"order_ids": ids}

    def _order(self, body: dict, order_id: str) -> dict:
        return self._sandbox.order(order_id)

    def _set_status(self, body: dict, order_id: str) -> dict:
        return self._sandbox.set_status(order_id, body["status"])

    def _advance(self, body: dict, order_id: str) -> dict:
        return self._sandbox.advance(order_id)

    def _buyer_cancel(self, body: dict, order_id: str) -> dict:
        reason, pending = body.get("reason"), bool(body.get("pending"))
        return self._sandbox.buyer_cancel(order_id, reason, pending)

    def _system_cancel(self, body: dict, order_id: str) -> dict:
        return self._sandbox.system_cancel(
            order_id, body.get("reason_key", "returned_to_shipper_refused")
        )

    def _deliver(self, body: dict, order_id: str) -> dict:
        return self._sandbox.deliver(order_id, body.get("at"))

    def _carrier_scan(self, body: dict, order_id: str) -> dict:
        return self._sandbox.carrier_scan(order_id, body.get("package_id"))

    def _malform(self, body: dict, order_id: str) -> dict:
        if "how" not in body:
            raise ValueError('malform takes {"how": name} or {"how": null}')
        return self._sandbox.malform_order(order_id, body["how"])

    def _open_return(self, body: dict, order_id: str) -> dict:
        unknown = set(body) - {"type", "line_item_ids", "reason"}
        if unknown:
            raise ValueError(f"unknown field(s): {sorted(unknown)}")
        return self._sandbox.open_return(
            order_id,
            body.get("type", "RETURN_AND_REFUND"),
            body.get("line_item_ids"),
            body.get("reason"),
        )

    def _returns(self, body: dict) -> dict:
        return {"returns": self._sandbox.returns()}

    def _return_shipped(self, body: dict, return_id: str) -> dict:
        return self._sandbox.return_shipped(return_id, body.get("tracking_number"))

    def _return_received(self, body: dict, return_id: str) -> dict:
        return self._sandbox.return_received(return_id)

    def _withdraw_return(self, body: dict, return_id: str) -> dict:
        return self._sandbox.withdraw_return(return_id)

    def _cancellations(self, body: dict) -> dict:
        return {"cancellations": self._sandbox.cancellations()}

    def _catalog(self, body: dict) -> dict:
        return {"skus": self._sandbox.catalog()}

    def _set_catalog(self, body: dict) -> dict:
        self._sandbox.set_catalog(body["skus"])
        return self._catalog(body)

    def _products(self, body: dict) -> dict:
        return {"products": self._sandbox.products()}

    def _product_status(self, body: dict, product_id: str) -> dict:
        return self._sandbox.set_product_status(product_id, body["status"])

    def _inventory(self, body: dict, sku_id: str) -> dict:
        return self._sandbox.inventory(sku_id)

    def _set_stock(self, body: dict) -> dict:
        self._sandbox.set_stock(body)
        return self._products(body)

    def _now(self, body: dict) -> dict:
        return {"now": int(self._sandbox.clock.now())}

    def _move_clock(self, body: dict) -> dict:
        if "offset_s" in body:
            self._sandbox.clock.set_offset(float(body["offset_s"]))
        else:
            self._sandbox.clock.advance(float(body["advance_s"]))
        return self._tick(body)

    def _tick(self, body: dict) -> dict:
        self._sandbox.tick()
        return self._now(body)

    def _faults(self, body: dict) -> dict:
        return self._sandbox.faults.snapshot()

    def _set_faults(self, body: dict) -> dict:
        self._sandbox.faults.update(**body)
        return self._faults(body)

    def _config(self, body: dict) -> dict:
        return {"combined_on_search": self._sandbox.combined_on_search}

    def _set_config(self, body: dict) -> dict:
        unknown = set(body) - {"combined_on_search"}
        if unknown:
            raise ValueError(f"unknown setting(s): {sorted(unknown)}")
        if "combined_on_search" in body:
            if not isinstance(body["combined_on_search"], bool):
                raise ValueError("combined_on_search must be true or false")
            self._sandbox.combined_on_search = body["combined_on_search"]
        return self._config(body)

    def _stock_config(self, body: dict) -> dict:
        return {"zero_quantity": self._sandbox.zero_quantity}

    def _set_stock_config(self, body: dict) -> dict:
        unknown = set(body) - {"zero_quantity"}
        if unknown:
            raise ValueError(f"unknown setting(s): {sorted(unknown)}")
        if "zero_quantity" in body:
            self._sandbox.zero_quantity = body["zero_quantity"]
        return self._stock_config(body)

    def _issue_tokens(self, body: dict) -> dict:
        return self._sandbox.issue_tokens()

    def _expire_tokens(self, body: dict) -> dict:
        self._sandbox.expire_access_tokens()
        return {}

    def _auth_code(self, body: dict) -> dict:
        return {"auth_code": self._sandbox.new_auth_code()}

    def _webhook(self, body: dict) -> dict:
        deliveries = self._sandbox.webhook_deliveries
        return {
            "url": self._sandbox.webhook_url,
            "duplicate": self._sandbox.duplicate_webhooks,
            "deliveries": len(deliveries),
            "failed": sum(not delivery.ok for delivery in deliveries),
        }

    def _set_webhook(self, body: dict) -> dict:
        if "url" in body:
            self._sandbox.webhook_url = body["url"]
        if "duplicate" in body:
            self._sandbox.duplicate_webhooks = bool(body["duplicate"])
        return self._webhook(body)

    def _calls(self, body: dict) -> dict:
        calls = list(self._sandbox.calls)
        return {"count": len(calls), "by_path": dict(Counter(call.path for call in calls))}

    def _reset_calls(self, body: dict) -> dict:
        self._sandbox.reset_calls()
        return self._calls(body)
