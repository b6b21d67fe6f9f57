"""`TikTokSandbox`: the TikTok Shop Partner API (202309) on loopback, with simulation controls.

The token endpoints share the API's server, so one URL serves as both TIKTOK_API_URL and
TIKTOK_AUTH_URL. Simulation controls live under `/_sandbox/` (see controls.py).
"""

import random

from sandbox.clock import SandboxClock
from sandbox.server import HTTPApp

from . import webhooks
from .aftersales import ReturnDesk
from .aftersales_api import AfterSalesApi
from .api import Api, Shop
from .auth import Gate
from .controls import Controls
from .fakes import DEFAULT_CATALOG
from .faults import Faults, RateLimiter
from .fulfillment import Fulfillment
from .gateway import Call, Gateway
from .ids import Ids
from .orders import MALFORMATIONS, PARTIALLY_SHIPPING, STATUSES, Order
from .paging import Pager
from .products import PRODUCT_STATUSES, ProductBook
from .products_api import ZERO_POLICIES, ProductsApi
from .simulate import DEFAULT_MIX, OrderFactory, check_catalog, check_mix, history
from .store import Store
from .tokens import TokenBook

FULFILLMENT_TYPES = ("FULFILLMENT_BY_SELLER", "FULFILLMENT_BY_TIKTOK")


class TikTokSandbox:
    def __init__(
        self,
        *,
        app_key: str = "sandbox-app-key",
        app_secret: str = "sandbox-app-secret",
        clock: SandboxClock | None = None,
        seed: int = 1,
        shop_id: str = "7494726673780148744",
        shop_cipher: str = "ROW_sandboxcipher",
        shop_name: str = "Sandbox Shop",
        access_token_ttl_s: int = 7 * 86400,
        rate_per_s: float = 50,
        webhook_url: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        completion_days: int = 15,
        duplicate_webhooks: bool = False,
        combined_on_search: bool = False,
    ):
        """`combined_on_search`: Search Orders carries `combined_listing_skus` too, as pages
        after 202309 say; by default only Get Order Detail does (the 202309 reference, §10)."""
        self.app_key, self.app_secret = app_key, app_secret
        self.clock = clock or SandboxClock()
        self.shop = Shop(shop_id, shop_name, shop_cipher)
        self.faults = Faults(rng=random.Random(f"{seed}:faults"))
        self.duplicate_webhooks = duplicate_webhooks
        self._ids = Ids()
        self.tokens = TokenBook(
            self.clock, random.Random(f"{seed}:tokens"), access_token_ttl_s, shop_name
        )
        self.hooks = webhooks.ShopWebhooks(webhook_url)
        self.pusher = webhooks.Pusher(app_key, app_secret)
        self.store = Store(self.clock, self._ids, self._notify, completion_days)
        self._factory = OrderFactory(random.Random(f"{seed}:orders"), self._ids)
        self._catalog = check_catalog(DEFAULT_CATALOG)
        self._products = ProductBook()
        self._products.load(self._catalog, self.store.now())
        pager = Pager(random.Random(f"{seed}:pager").randbytes(32))
        self._api = api = Api(
            app_key=app_key,
            app_secret=app_secret,
            shop=self.shop,
            store=self.store,
            tokens=self.tokens,
            hooks=self.hooks,
            pager=pager,
            combined_on_search=combined_on_search,
        )
        self._fulfillment = Fulfillment(self.store)
        self._returns = ReturnDesk(self.store, self._notify)
        after_sales = AfterSalesApi(self.store, self._returns, pager)
        self._products_api = ProductsApi(self.store, self._products, pager)
        routes = [*api.routes(), *self._fulfillment.routes(), *after_sales.routes()]
        self._gateway = Gateway(
            routes=[*routes, *self._products_api.routes()],
            gate=Gate(app_key, app_secret, shop_cipher, self.tokens),
            faults=self.faults,
            limiter=RateLimiter(rate_per_s),
            clock=self.clock,
            tick=self.tick,
            controls=Controls(self).handle,
        )
        self._http = HTTPApp(self._gateway.dispatch, host, port)

    # --- running ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self._http.url

    def start(self) -> "TikTokSandbox":
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()
        self.pusher.close()

    def __enter__(self) -> "TikTokSandbox":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def combined_on_search(self) -> bool:
        return self._api.combined_on_search

    @combined_on_search.setter
    def combined_on_search(self, on: bool) -> None:
        self._api.combined_on_search = bool(on)

    # --- credentials -------------------------------------------------------------------------

    def issue_tokens(self) -> dict:
        return self.tokens.issue()

    def new_auth_code(self) -> str:
        """A single-use code for `/api/v2/token/get`, valid 30 minutes."""
        return self.tokens.new_auth_code()

    def expire_access_tokens(self) -> None:
        self.tokens.expire_access_tokens()

    # --- catalog and orders --------------------------------------------------------------------

    def set_catalog(self, skus: list[dict]) -> None:
        """The SKUs orders are made from, which are also the shop's products (entries with one
        `product_id` are one product), each in the main warehouse until `set_stock`."""
        catalog = check_catalog(skus)
        with self.store.lock:
            self._products.load(catalog, self.store.now())
            self._catalog = catalog
            for order in self.store.all_orders():
                self._products.follow(order)

    def catalog(self) -> list[dict]:
        return [dict(sku) for sku in self._catalog.values()]

    def add_order(
        self,
        *,
        skus: list[str],
        status: str = "AWAITING_SHIPMENT",
        fulfillment_type: str = "FULFILLMENT_BY_SELLER",
        create_time: int | None = None,
        combined: list[dict] | None = None,
        order_id: str | None = None,
        shipping_type: str | None = None,
        malformed: str | None = None,
    ) -> dict:
        """`skus`: seller SKUs, one entry per unit. `combined`: extra combined-listing units.
        `malformed`: a breakage from `MALFORMATIONS` for this order's JSON (`malform_order`)."""
        _check_malformation(malformed)
        order = self._add(
            skus=skus,
            status=status,
            fulfillment_type=fulfillment_type,
            create_time=create_time,
            combined=combined,
            order_id=order_id,
            shipping_type=shipping_type,
        )
        if malformed:
            return self.malform_order(order.id, malformed)
        return self._json(order)

    def malform_order(self, order_id: str, how: str | None) -> dict:
        """From now on the API shows this one order with a broken field (`how`, one of
        `MALFORMATIONS`: line_item_without_id, money_not_a_number, no_line_items,
        unknown_status, over_long_<field>), on Search Orders and Get Order Detail alike; None
        mends it. The order's state and lifecycle are untouched. Returns the order as the API
        shows it."""
        _check_malformation(how)
        with self.store.lock:
            order = self.store.get(order_id)
            order.malformed = how or ""
            return order.to_json()

    def seed_orders(self, n: int, *, statuses: dict[str, float] | None = None) -> list[str]:
        mix = check_mix(statuses or DEFAULT_MIX)
        now = self.store.now()
        return [self._add(**self._factory.seed_spec(self._catalog, mix, now)).id for _ in range(n)]

    def _add(self, *, status: str, fulfillment_type: str, create_time, **spec) -> Order:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status}")
        if fulfillment_type not in FULFILLMENT_TYPES:
            raise ValueError(f"fulfillment_type must be one of {FULFILLMENT_TYPES}")
        now = self.store.now()
        created = now if create_time is None else int(create_time)
        with self.store.lock:
            order = self._factory.build(
                self._catalog, fulfillment_type=fulfillment_type, create_time=created, **spec
            )
            for step, at in history(created, status, max(now, created)):
                order.move(step, at)
            self.store.add(order)
        return order

    def order(self, order_id: str) -> dict:
        with self.store.lock:
            return self.store.get(order_id).to_json()

    def orders(self) -> list[dict]:
        with self.store.lock:
            return [order.to_json() for order in self.store.all_orders()]

    def cancellations(self) -> list[dict]:
        with self.store.lock:
            return [record.to_json() for record in self.store.all_cancellations()]

    # --- products and stock ------------------------------------------------------------------

    def products(self) -> list[dict]:
        """Every product with its SKUs and their stock per warehouse, as Get Product shows it."""
        with self.store.lock:
            return [product.to_json() for product in self._products.products.values()]

    def set_stock(self, stock: dict[str, list[dict]]) -> None:
        """sku_id -> [{"warehouse_id", "quantity"}]: where SKUs are stocked and how many units
        (the seed's `tiktok_stock`); orders placed later take their units from there."""
        with self.store.lock:
            self._products.set_stock(stock)

    def inventory(self, sku_id: str) -> dict:
        """One SKU's stock as Inventory Search shows it (available and committed)."""
        with self.store.lock:
            return self._products.skus[sku_id][1].inventory_json()

    def set_product_status(self, product_id: str, status: str) -> dict:
        if status not in PRODUCT_STATUSES:
            raise ValueError(f"status must be one of {PRODUCT_STATUSES}")
        with self.store.lock:
            product = self._products.products[product_id]
            product.status, product.update_time = status, self.store.now()
            return product.to_json()

    @property
    def zero_quantity(self) -> str:
        return self._products_api.zero_quantity

    @zero_quantity.setter
    def zero_quantity(self, policy: str) -> None:
        if policy not in ZERO_POLICIES:
            raise ValueError(f"zero_quantity must be one of {ZERO_POLICIES}")
        self._products_api.zero_quantity = policy

    # --- after-sales ---------------------------------------------------------------------------

    def open_return(
        self,
        order_id: str,
        return_type: str = "RETURN_AND_REFUND",
        line_item_ids: list[str] | None = None,
        reason: str | None = None,
    ) -> dict:
        """The buyer asks for a refund, a return and refund, or a replacement (of every line
        item unless some are named); the seller has until its deadline to answer."""
        return self._return_json(self._returns.open(order_id, return_type, line_item_ids, reason))

    def return_shipped(self, return_id: str, tracking_number: str | None = None) -> dict:
        """The buyer sends an approved return back."""
        return self._return_json(self._returns.buyer_ships(return_id, tracking_number))

    def return_received(self, return_id: str) -> dict:
        """The returned package reaches the seller, who then has 48 hours to accept it."""
        return self._return_json(self._returns.seller_receives(return_id))

    def withdraw_return(self, return_id: str) -> dict:
        return self._return_json(self._returns.buyer_withdraws(return_id))

    def returns(self) -> list[dict]:
        with self.store.lock:
            return [record.to_json() for record in self.store.returns.values()]

    def _return_json(self, record) -> dict:
        with self.store.lock:
            return record.to_json()

    # --- lifecycle ---------------------------------------------------------------------------

    def set_status(self, order_id: str, status: str) -> dict:
        return self._json(self.store.set_status(order_id, status))

    def advance(self, order_id: str) -> dict:
        return self._json(self.store.advance(order_id))

    def deliver(self, order_id: str, at: int | None = None) -> dict:
        return self._json(self.store.deliver(order_id, at))

    def carrier_scan(self, order_id: str, package_id: str | None = None) -> dict:
        """The carrier picks up one package of a shipped order (or all of them); the order
        moves to IN_TRANSIT once every package is collected."""
        return self._json(self._fulfillment.scan(order_id, package_id))

    def buyer_cancel(self, order_id: str, reason: str | None = None, pending: bool = False):
        """Cancelled by the buyer at once, or with `pending` a request the seller has to answer
        (a second `buyer_cancel` approves it)."""
        return self.store.buyer_cancel(order_id, reason, pending).to_json()

    def system_cancel(self, order_id: str, reason_key: str = "returned_to_shipper_refused"):
        return self.store.system_cancel(order_id, reason_key).to_json()

    def tick(self) -> None:
        """TikTok's timed rules, as they stand on the sandbox clock (run before every call)."""
        self.store.tick()
        self._returns.tick()

    @property
    def completion_days(self) -> int:
        return self.store.completion_days

    @completion_days.setter
    def completion_days(self, days: int) -> None:
        self.store.completion_days = days

    def _json(self, order: Order) -> dict:
        with self.store.lock:
            return order.to_json()

    # --- webhooks and calls ----------------------------------------------------------------------

    @property
    def webhook_url(self) -> str | None:
        return self.hooks.app_url

    @webhook_url.setter
    def webhook_url(self, url: str | None) -> None:
        self.hooks.app_url = url

    @property
    def webhook_deliveries(self) -> list[webhooks.Delivery]:
        return list(self.pusher.deliveries)

    def wait_for_webhooks(self, timeout_s: float = 5.0) -> bool:
        return self.pusher.wait_idle(timeout_s)

    @property
    def calls(self) -> list[Call]:
        return self._gateway.calls

    def reset_calls(self) -> None:
        self._gateway.reset_calls()

    def _notify(self, kind: str, subject) -> None:
        """Called by the store on each change: build the push now, send it in the background."""
        if kind == "order":
            self._products.follow(subject)
            if subject.status == PARTIALLY_SHIPPING:  # not a value the type-1 push knows
                return
            topic, build = webhooks.ORDER_STATUS_CHANGE, webhooks.order_status_body
        elif kind == "return":
            topic, build = webhooks.RETURN_STATUS_CHANGE, webhooks.return_body
        else:
            topic, build = webhooks.CANCELLATION_STATUS_CHANGE, webhooks.cancellation_body
        url = self.hooks.address(topic)
        if not url:
            return
        payload = build(subject, self.shop.id, self._ids.new("notification"), self.store.now())
        for _ in range(2 if self.duplicate_webhooks else 1):
            self.pusher.push(url, payload)


def _check_malformation(how: str | None) -> None:
    if how and how not in MALFORMATIONS:
        raise ValueError(f"unknown malformation {how!r}; one of {sorted(MALFORMATIONS)}")
