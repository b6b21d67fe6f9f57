"""The Partner API endpoints (§6-§14): handlers `(request, path params, JSON body) -> data`.

Parameter errors on order and tracking calls have no documented code; they answer 36009004
(TikTok reuses it for validation failures) with a message naming the parameter. Return/refund
calls use their own 25001001.
"""

from dataclasses import dataclass

from sandbox.server import Request

from . import webhooks
from .errors import CANCEL_INVALID_PARAMETER, INVALID_REQUEST, ApiError
from .orders import STATUSES, WAREHOUSE_ID, Order
from .paging import Pager
from .params import (
    ORDER_TIME_FILTERS,
    Route,
    choice,
    in_time_window,
    is_int,
    page,
    page_size,
    required,
)
from .store import Store
from .tokens import TokenBook

MAX_DETAIL_IDS = 50  # §9
CANCEL_STATUS_ALIASES = {"CANCELLATION_REQUEST_CANCEL": "CANCELLATION_REQUEST_CANCELLED"}


@dataclass(frozen=True)
class Shop:
    id: str
    name: str
    cipher: str


class Api:
    def __init__(
        self,
        *,
        app_key: str,
        app_secret: str,
        shop: Shop,
        store: Store,
        tokens: TokenBook,
        hooks: webhooks.ShopWebhooks,
        pager: Pager,
        combined_on_search: bool = False,
    ):
        self.combined_on_search = combined_on_search  # 202309: only Get Order Detail has them
        self._app_key = app_key
        self._app_secret = app_secret
        self._shop = shop
        self._store = store
        self._tokens = tokens
        self._hooks = hooks
        self._pager = pager

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/api/v2/token/get", "token", self.get_token),
            Route("GET", "/api/v2/token/refresh", "token", self.refresh_token),
            Route("GET", "/authorization/202309/shops", "global", self.authorized_shops),
            Route("POST", "/order/202309/orders/search", "shop", self.search_orders),
            Route("GET", "/order/202309/orders", "shop", self.order_detail),
            Route("POST", "/return_refund/202309/cancellations", "shop", self.cancel_order),
            Route(
                "POST", "/return_refund/202309/cancellations/search", "shop", self.search_cancels
            ),
            Route("GET", "/fulfillment/202309/orders/{order_id}/tracking", "shop", self.tracking),
            Route("PUT", "/event/202309/webhooks", "shop", self.put_webhook),
            Route("GET", "/event/202309/webhooks", "shop", self.get_webhooks),
            Route("DELETE", "/event/202309/webhooks", "shop", self.delete_webhook),
        ]

    # --- tokens (§6.2): plain GETs, app secret in the query, no signature -----------------------

    def get_token(self, request: Request, params: dict, body: dict) -> dict:
        query = self._token_query(request, "authorized_code")
        return self._tokens.exchange(required(query, "auth_code"))

    def refresh_token(self, request: Request, params: dict, body: dict) -> dict:
        query = self._token_query(request, "refresh_token")
        return self._tokens.refresh(required(query, "refresh_token"))

    def _token_query(self, request: Request, grant_type: str) -> dict:
        query = request.query
        if query.get("app_key") != self._app_key or query.get("app_secret") != self._app_secret:
            raise ApiError(INVALID_REQUEST, "Invalid app_key or app_secret")
        if query.get("grant_type") != grant_type:
            raise ApiError(INVALID_REQUEST, f"Invalid grant_type: must be {grant_type}")
        return query

    # --- shops (§7) ----------------------------------------------------------------------------

    def authorized_shops(self, request: Request, params: dict, body: dict) -> dict:
        shop = self._shop
        return {
            "shops": [
                {
                    "id": shop.id,
                    "name": shop.name,
                    "region": "US",
                    "seller_type": "LOCAL",
                    "cipher": shop.cipher,
                    "code": "USLC" + shop.id[-6:],
                }
            ]
        }

    # --- orders (§8, §9) -------------------------------------------------------------------------

    def search_orders(self, request: Request, params: dict, body: dict) -> dict:
        query = request.query
        size = page_size(query, INVALID_REQUEST, required=True, default=20, most=100)
        sort_field = choice(query, "sort_field", ("create_time", "update_time"), INVALID_REQUEST)
        sort_order = choice(query, "sort_order", ("DESC", "ASC"), INVALID_REQUEST)
        filters = _order_filters(body)
        bound = {"search": "orders", "sort": [sort_field, sort_order], **filters}

        def matching() -> list[str]:
            found = [order for order in self._store.all_orders() if _order_matches(order, filters)]
            found.sort(key=lambda o: (getattr(o, sort_field), o.id), reverse=sort_order == "DESC")
            return [order.id for order in found]

        with self._store.lock:
            bad = INVALID_REQUEST
            ids, next_token, total = page(self._pager, matching, bound, size, query, bad)
            combined = self.combined_on_search
            orders = [self._store.get(order_id).to_json(combined=combined) for order_id in ids]
        return {"orders": orders, "next_page_token": next_token, "total_count": total}

    def order_detail(self, request: Request, params: dict, body: dict) -> dict:
        ids = [part for part in request.query.get("ids", "").split(",") if part]
        if not ids:
            raise ApiError(INVALID_REQUEST, "Invalid parameter: ids is required")
        if len(ids) > MAX_DETAIL_IDS:
            raise ApiError(
                INVALID_REQUEST, f"Invalid parameter: ids allows at most {MAX_DETAIL_IDS}"
            )
        with self._store.lock:  # unknown ids are left out (202309 lists no error for them)
            found = [self._store.find(order_id) for order_id in dict.fromkeys(ids)]
            return {"orders": [order.to_json() for order in found if order is not None]}

    # --- cancellations (§12) ---------------------------------------------------------------------

    def cancel_order(self, request: Request, params: dict, body: dict) -> dict:
        order_id, reason = body.get("order_id"), body.get("cancel_reason")
        if not isinstance(order_id, str) or not order_id:
            raise ApiError(CANCEL_INVALID_PARAMETER, "Invalid parameter: order_id is required")
        if not isinstance(reason, str) or not reason:
            raise ApiError(CANCEL_INVALID_PARAMETER, "Invalid parameter: cancel_reason is required")
        partial = bool(body.get("order_line_item_ids") or body.get("skus"))
        record = self._store.seller_cancel(order_id, reason, partial=partial)
        return {"cancel_id": record.cancel_id, "cancel_status": "CANCELLATION_REQUEST_SUCCESS"}

    def search_cancels(self, request: Request, params: dict, body: dict) -> dict:
        query, bad = request.query, CANCEL_INVALID_PARAMETER
        size = page_size(query, bad, required=False, default=10, most=50)
        sort_field = choice(query, "sort_field", ("create_time", "update_time"), bad)
        sort_order = choice(query, "sort_order", ("ASC", "DESC"), bad)
        filters = _cancel_filters(body)
        bound = {"search": "cancellations", "sort": [sort_field, sort_order], **filters}

        def matching() -> list[str]:
            found = [c for c in self._store.all_cancellations() if _cancel_matches(c, filters)]
            found.sort(key=lambda c: (getattr(c, sort_field), c.cancel_id))
            if sort_order == "DESC":
                found.reverse()
            return [record.cancel_id for record in found]

        with self._store.lock:
            ids, next_token, total = page(self._pager, matching, bound, size, query, bad)
            by_id = {record.cancel_id: record for record in self._store.all_cancellations()}
            cancellations = [by_id[cancel_id].to_json() for cancel_id in ids]
        return {"cancellations": cancellations, "next_page_token": next_token, "total_count": total}

    # --- fulfillment (§13) -----------------------------------------------------------------------

    def tracking(self, request: Request, params: dict, body: dict) -> dict:
        order = self._store.find(params["order_id"])
        if order is None:
            raise ApiError(INVALID_REQUEST, "Invalid parameter: order_id not found in this shop")
        with self._store.lock:
            return {"tracking": order.tracking_events()}

    # --- webhooks (§14.1) ------------------------------------------------------------------------

    def put_webhook(self, request: Request, params: dict, body: dict) -> dict:
        event_type, address = _event_type(body), body.get("address")
        if not isinstance(address, str) or not 0 < len(address) <= 255:
            raise ApiError(INVALID_REQUEST, "Invalid parameter: address (1-255 characters)")
        self._hooks.put(event_type, address, self._store.now())
        return {}

    def get_webhooks(self, request: Request, params: dict, body: dict) -> dict:
        hooks = self._hooks.listed()
        return {"webhooks": hooks, "total_count": len(hooks)}

    def delete_webhook(self, request: Request, params: dict, body: dict) -> dict:
        self._hooks.delete(_event_type(body))
        return {}


def _event_type(body: dict) -> str:
    event_type = body.get("event_type")
    if event_type not in webhooks.EVENT_TYPES:
        raise ApiError(INVALID_REQUEST, f"Invalid parameter: event_type {event_type!r}")
    return event_type


def _order_filters(body: dict) -> dict:
    filters = {}
    for name in ORDER_TIME_FILTERS:
        if body.get(name) is not None:
            if not is_int(body[name]):
                raise ApiError(INVALID_REQUEST, f"Invalid parameter: {name} must be an integer")
            filters[name] = body[name]
    checks = {
        "order_status": lambda value: value in STATUSES,
        "shipping_type": lambda value: value in ("TIKTOK", "SELLER"),
        "buyer_user_id": lambda value: isinstance(value, str),
        "is_buyer_request_cancel": lambda value: isinstance(value, bool),
        "warehouse_ids": lambda value: isinstance(value, list) and len(value) <= 100,
    }
    for name, valid in checks.items():
        if body.get(name) is not None:
            if not valid(body[name]):
                raise ApiError(INVALID_REQUEST, f"Invalid parameter: {name}")
            filters[name] = body[name]
    return filters


def _order_matches(order: Order, filters: dict) -> bool:
    equals = {
        "order_status": order.status,
        "shipping_type": order.shipping_type,
        "buyer_user_id": order.buyer["user_id"],
        "is_buyer_request_cancel": bool(order.request_cancel_time),
    }
    for name, value in filters.items():
        if name in equals and equals[name] != value:
            return False
        if name == "warehouse_ids" and WAREHOUSE_ID not in value:
            return False
    return in_time_window(order, filters)


def _cancel_filters(body: dict) -> dict:
    filters = {}
    for name in ("cancel_ids", "order_ids", "buyer_user_ids", "cancel_types", "cancel_status"):
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ApiError(CANCEL_INVALID_PARAMETER, f"Invalid parameter: {name} must be a list")
        filters[name] = sorted({CANCEL_STATUS_ALIASES.get(item, item) for item in value})
    for name in ORDER_TIME_FILTERS:
        if body.get(name) is not None:
            if not is_int(body[name]):
                raise ApiError(CANCEL_INVALID_PARAMETER, f"Invalid parameter: {name}")
            filters[name] = body[name]
    return filters


def _cancel_matches(record, filters: dict) -> bool:
    values = {
        "cancel_ids": record.cancel_id,
        "order_ids": record.order_id,
        "buyer_user_ids": record.user_id,
        "cancel_types": record.cancel_type,
        "cancel_status": CANCEL_STATUS_ALIASES.get(record.status, record.status),
    }
    if any(name in filters and value not in filters[name] for name, value in values.items()):
        return False
    return in_time_window(record, filters)
