"""Fulfilment of seller-shipped orders (§16): Get Shipping Providers, Mark Package As Shipped,
Update Shipping Info (order and package), Get Package Detail.

Checks run in the order below and the first broken rule answers. Where the reference names no
code, the choice is said at the check. Update Shipping Info does not move `update_time` (not
stated, §16.6) and sends no push; a correction to the same number and carrier still spends the
one correction (TikTok is not said to tell them apart).
"""

from sandbox.server import Request

from .errors import (
    AFTER_SALE_IN_PROGRESS,
    ALREADY_DELIVERED,
    DELIVERED_BY_PLATFORM,
    DUPLICATE_TRACKING,
    FULFILL_INVALID_PARAMETER,
    INVALID_TRACKING_OR_PROVIDER,
    NO_DELIVERY_SUBSCRIPTION,
    NOT_SELLER_SHIPPED,
    NOT_SHIPPED_YET,
    ORDER_CANCELLED,
    ORDER_NOT_OF_SELLER,
    ORDER_ON_HOLD,
    ORDERS_ALREADY_SHIPPED,
    PACKAGE_ALREADY_SHIPPED,
    PACKAGE_NOT_OF_SHOP,
    PACKAGE_UPDATE_WINDOW_PASSED,
    PERMISSION_DENIED,
    PLATFORM_FULFILLED,
    STATUS_DOES_NOT_ALLOW,
    TRACKING_SPECIAL_CHARACTERS,
    TRACKING_USED_TOO_OFTEN,
    UPDATE_ONLY_ONCE,
    UPDATE_WINDOW_PASSED,
    ApiError,
)
from .orders import (
    AWAITING_COLLECTION,
    CANCELLED,
    COMPLETED,
    DELIVERED,
    IN_TRANSIT,
    ON_HOLD,
    PARTIALLY_SHIPPING,
    UNPAID,
    Order,
)
from .params import Route
from .shipping import (
    CORRECTION_WINDOW_S,
    DELIVERY_OPTIONS,
    Package,
    Provider,
    has_special_characters,
    tracking_warning,
)
from .store import Store

CONSOLIDATION_LIMIT = 20  # one tracking number covers at most 20 orders of one recipient


class Fulfillment:
    def __init__(self, store: Store):
        self._store = store

    def routes(self) -> list[Route]:
        return [
            Route(
                "GET",
                "/logistics/202309/delivery_options/{delivery_option_id}/shipping_providers",
                "shop",
                self.shipping_providers,
            ),
            Route("POST", "/fulfillment/202309/orders/{order_id}/packages", "shop", self.ship),
            Route(
                "POST",
                "/fulfillment/202309/orders/{order_id}/shipping_info/update",
                "shop",
                self.update_order_shipping,
            ),
            Route(
                "POST",
                "/fulfillment/202309/packages/{package_id}/shipping_info/update",
                "shop",
                self.update_package_shipping,
            ),
            Route("GET", "/fulfillment/202309/packages/{package_id}", "shop", self.package),
        ]

    # --- Get Shipping Providers (§16.2) ----------------------------------------------------------

    def shipping_providers(self, request: Request, params: dict, body: dict) -> dict:
        option = DELIVERY_OPTIONS.get(params["delivery_option_id"])
        if option is None:
            raise ApiError(NO_DELIVERY_SUBSCRIPTION, "No subscription for this delivery option")
        if not option.seller_ships:
            raise ApiError(DELIVERED_BY_PLATFORM, "This delivery option is fulfilled by TikTok")
        return {"shipping_providers": [{"id": p.id, "name": p.name} for p in option.providers]}

    # --- Mark Package As Shipped (§16.3) ---------------------------------------------------------

    def ship(self, request: Request, params: dict, body: dict) -> dict:
        tracking, provider_id = _shipping_info(body)
        line_ids = body.get("order_line_item_ids")
        if line_ids is not None and (
            not isinstance(line_ids, list)
            or not line_ids
            or not all(isinstance(i, str) and i for i in line_ids)
            or len(set(line_ids)) != len(line_ids)
        ):
            raise ApiError(FULFILL_INVALID_PARAMETER, "Invalid parameters: order_line_item_ids")
        store = self._store
        with store.lock:
            order = self._seller_order(params["order_id"])
            if order.status == UNPAID:  # not listed for this call; the update call's code
                raise ApiError(STATUS_DOES_NOT_ALLOW, "The order's status does not allow it")
            if not order.unpacked:
                raise ApiError(ORDERS_ALREADY_SHIPPED, "These orders are already shipped.")
            chosen = list(line_ids or order.unpacked)
            known = {item.id for item in order.items}
            if not set(chosen) <= known:
                raise ApiError(
                    FULFILL_INVALID_PARAMETER,
                    "Invalid parameters: order_line_item_ids are not of this order",
                )
            if any(order.package_of(item_id) for item_id in chosen):
                raise ApiError(
                    PACKAGE_ALREADY_SHIPPED,
                    "Package has been shipped. Please not ship the package again.",
                )
            self._no_after_sale(order, chosen)
            provider = self._provider(order, provider_id, tracking)
            now = store.now()
            package = order.pack(chosen, provider, tracking, now)
            store.close_buyer_request(order)  # US: shipping rejects a pending request (§16.3)
            status = AWAITING_COLLECTION if not order.unpacked else PARTIALLY_SHIPPING
            order.move(status, now)
            store.order_changed(order)
            answer = {
                "order_id": order.id,
                "order_line_item_ids": list(package.line_item_ids),
                "package_id": package.id,
            }
            warning = tracking_warning(order.delivery_option, provider, tracking)
            if warning:
                answer["warning"] = {"message": warning}
            return answer

    # --- Update Shipping Info (§16.4) ------------------------------------------------------------

    def update_order_shipping(self, request: Request, params: dict, body: dict) -> dict:
        tracking, provider_id = _shipping_info(body)
        with self._store.lock:
            order = self._seller_order(params["order_id"])
            self._correctable(order)
            if len(order.packages) > 1:  # split orders use the package call (§16.4)
                raise ApiError(
                    STATUS_DOES_NOT_ALLOW,
                    "The order is shipped in several packages: update each package",
                )
            package = order.packages[0]
            return self._correct(order, package, tracking, provider_id, per_package=False)

    def update_package_shipping(self, request: Request, params: dict, body: dict) -> dict:
        tracking, provider_id = _shipping_info(body)
        with self._store.lock:
            order, package = self._find_package(params["package_id"], PACKAGE_NOT_OF_SHOP)
            order = self._seller_order(order.id)
            self._correctable(order)
            return self._correct(order, package, tracking, provider_id, per_package=True)

    def _correctable(self, order: Order) -> None:
        if not order.packages:
            raise ApiError(NOT_SHIPPED_YET, "The order has not been shipped yet")
        if order.status in (DELIVERED, COMPLETED):
            raise ApiError(ALREADY_DELIVERED, "fulfillment not allow update tracking no")

    def _correct(
        self, order: Order, package: Package, tracking: str, provider_id: str, *, per_package: bool
    ) -> dict:
        self._no_after_sale(order, package.line_item_ids)
        if package.corrections:
            raise ApiError(UPDATE_ONLY_ONCE, "The tracking number can only be updated once.")
        now = self._store.now()
        if now > package.create_time + CORRECTION_WINDOW_S:
            code = PACKAGE_UPDATE_WINDOW_PASSED if per_package else UPDATE_WINDOW_PASSED
            raise ApiError(
                code, "Platform rules do not allow the tracking number to be updated any more"
            )
        provider = self._provider(order, provider_id, tracking, ignore=package)
        package.provider, package.tracking_number = provider, tracking
        package.corrections += 1
        package.update_time = now
        return {}

    # --- Get Package Detail (§16.5) --------------------------------------------------------------

    def package(self, request: Request, params: dict, body: dict) -> dict:
        with self._store.lock:
            order, package = self._find_package(params["package_id"], PERMISSION_DENIED)
            option = order.delivery_option
            detail = {
                "package_id": package.id,
                "orders": [{"id": order.id}],
                "package_status": package.status(cancelled=order.status == CANCELLED),
                "shipping_provider_name": package.provider.name,
                "shipping_provider_id": package.provider.id,
                "shipping_type": order.shipping_type,
                "delivery_option_id": option.id,
                "delivery_option_name": option.name,
                "tracking_number": package.tracking_number,
                "order_line_item_ids": list(package.line_item_ids),
                "create_time": package.create_time,
                "update_time": package.update_time,
                "split_and_combine_tag": "SPLIT" if len(order.packages) > 1 else "DEFAULT",
                "handover_method": "DROP_OFF",
            }
            if order.released:
                detail["recipient_address"] = order.to_json()["recipient_address"]
            return detail

    # --- the carrier (a simulation control) -----------------------------------------------------

    def scan(self, order_id: str, package_id: str | None = None) -> Order:
        """The carrier's first scan of one package (or all): once every package is collected,
        an AWAITING_COLLECTION order moves to IN_TRANSIT (§16.1)."""
        store = self._store
        with store.lock:
            order = store.get(order_id)
            if order.status not in (PARTIALLY_SHIPPING, AWAITING_COLLECTION):
                raise ValueError(f"order {order_id} is {order.status}: nothing awaits a carrier")
            packages = [p for p in order.packages if package_id in (None, p.id)]
            if not packages:
                raise KeyError(f"package {package_id} of order {order_id}")
            now = store.now()
            for package in packages:
                package.collected_at = package.collected_at or now
            if order.status == AWAITING_COLLECTION and all(p.collected_at for p in order.packages):
                order.move(IN_TRANSIT, now)
                store.order_changed(order)
            else:
                order.refresh_items()
            return order

    # --- shared checks ---------------------------------------------------------------------------

    def _seller_order(self, order_id: str) -> Order:
        order = self._store.find(order_id)
        if order is None:
            raise ApiError(ORDER_NOT_OF_SELLER, "The order does not belong to the current seller")
        if order.fulfillment_type == "FULFILLMENT_BY_TIKTOK":
            raise ApiError(
                PLATFORM_FULFILLED, "Seller cannot operate orders which are fulfilled by platform"
            )
        if not order.delivery_option.seller_ships:
            raise ApiError(
                NOT_SELLER_SHIPPED, "This API cannot be used for packages not shipped by sellers."
            )
        if order.status == ON_HOLD:
            raise ApiError(
                ORDER_ON_HOLD,
                "Order status is on hold; process it when it is awaiting shipment",
            )
        if order.status == CANCELLED:  # 21011041 is listed for the update call; used for both
            raise ApiError(ORDER_CANCELLED, "The order has been cancelled")
        return order

    def _find_package(self, package_id: str, unknown_code: int) -> tuple[Order, Package]:
        for order in self._store.all_orders():
            for package in order.packages:
                if package.id == package_id:
                    return order, package
        raise ApiError(unknown_code, "The package does not belong to this shop")

    def _no_after_sale(self, order: Order, line_item_ids: list[str]) -> None:
        if self._store.open_returns(order.id, line_item_ids):
            raise ApiError(
                AFTER_SALE_IN_PROGRESS,
                "Package item has after-sale request, please process the after-sale request first.",
            )

    def _provider(
        self, order: Order, provider_id: str, tracking: str, ignore: Package | None = None
    ) -> Provider:
        provider = order.delivery_option.provider(provider_id)
        if provider is None:
            raise ApiError(
                INVALID_TRACKING_OR_PROVIDER,
                "Invalid tracking number or provider ID. Please double check and try again.",
            )
        if has_special_characters(tracking):
            raise ApiError(
                TRACKING_SPECIAL_CHARACTERS,
                "Tracking number has special characters, verify failed.",
            )
        sharing = self._orders_sharing(tracking, ignore)
        sharing.pop(order.id, None)
        if any(other.buyer["address"] != order.buyer["address"] for other in sharing.values()):
            raise ApiError(DUPLICATE_TRACKING, "Duplicate tracking number.")
        if len(sharing) >= CONSOLIDATION_LIMIT:
            raise ApiError(TRACKING_USED_TOO_OFTEN, "fulfillment tracking no used times over limit")
        return provider

    def _orders_sharing(self, tracking: str, ignore: Package | None) -> dict[str, Order]:
        """Consolidation (§16.3): one number may cover orders of one recipient."""
        return {
            order.id: order
            for order in self._store.all_orders()
            for package in order.packages
            if package.tracking_number == tracking and package is not ignore
        }


def _shipping_info(body: dict) -> tuple[str, str]:
    tracking, provider_id = body.get("tracking_number"), body.get("shipping_provider_id")
    for name, value in (("tracking_number", tracking), ("shipping_provider_id", provider_id)):
        if not isinstance(value, str) or not value:
            raise ApiError(FULFILL_INVALID_PARAMETER, f"Invalid parameters: {name} is required")
    return tracking, provider_id
