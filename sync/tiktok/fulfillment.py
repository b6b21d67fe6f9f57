"""Shipping seller-shipped orders (TikTok reference §16): carriers of a delivery option, Mark
Package As Shipped, the one tracking correction, and package details.

Shipping and correcting are not idempotent (a resend after a success that lost its answer is
refused as "already shipped", or spends the one correction), so a timeout, a lost connection
or a 5xx ends them as `Unavailable` after one attempt and the caller re-reads the order; a 429
(nothing done) is still retried.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sync.tiktok.calls import TikTokCalls, segment
from sync.tiktok.fields import enum_value, maybe_time, required, text, text_or_empty
from sync.tiktok.models import ShippingType


class PackageStatus(StrEnum):
    TO_FULFILL = "TO_FULFILL"
    PROCESSING = "PROCESSING"  # shipment arranged, waiting for the carrier
    FULFILLING = "FULFILLING"  # collected, in transit
    COMPLETED = "COMPLETED"  # delivered
    CANCELLED = "CANCELLED"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class ShippingProvider:
    id: str
    name: str


@dataclass(frozen=True)
class ShipResult:
    order_id: str
    package_id: str
    line_item_ids: tuple[str, ...]
    warning: str | None  # TikTok doubts the tracking number fits the carrier: show it


@dataclass(frozen=True)
class PackageDetail:
    package_id: str
    order_ids: tuple[str, ...]
    status: PackageStatus
    shipping_type: ShippingType
    delivery_option_id: str | None
    shipping_provider_id: str | None
    shipping_provider_name: str | None
    tracking_number: str | None
    line_item_ids: tuple[str, ...]
    create_time: datetime | None
    update_time: datetime | None


class FulfillmentCalls(TikTokCalls):
    def shipping_providers(self, delivery_option_id: str) -> list[ShippingProvider]:
        """The carriers TikTok accepts for an order's `delivery_option_id`."""
        return self._call(
            "shipping_providers",
            "GET",
            f"/logistics/202309/delivery_options/{segment(delivery_option_id)}/shipping_providers",
            _providers,
        )

    def mark_shipped(
        self,
        order_id: str,
        *,
        shipping_provider_id: str,
        tracking_number: str,
        line_item_ids: Sequence[str] | None = None,
    ) -> ShipResult:
        """Mark Package As Shipped: the whole order, or only `line_item_ids` (a split
        shipment). Tried once unless TikTok certainly did nothing (see the module)."""
        body: dict = _shipping_info(shipping_provider_id, tracking_number)
        if line_item_ids is not None:
            body["order_line_item_ids"] = list(line_item_ids)
        return self._call(
            "mark_shipped",
            "POST",
            f"/fulfillment/202309/orders/{segment(order_id)}/packages",
            lambda data: _ship_result(data, order_id),
            body=body,
            idempotent=False,
        )

    def update_shipping_info(
        self, order_id: str, *, shipping_provider_id: str, tracking_number: str
    ) -> None:
        """The one tracking correction TikTok allows (within 72 hours of shipping in the US)."""
        prefix = f"/fulfillment/202309/orders/{segment(order_id)}"
        self._correct(prefix, shipping_provider_id, tracking_number)

    def update_package_shipping_info(
        self, package_id: str, *, shipping_provider_id: str, tracking_number: str
    ) -> None:
        """The same correction for one package of an order shipped in several."""
        prefix = f"/fulfillment/202309/packages/{segment(package_id)}"
        self._correct(prefix, shipping_provider_id, tracking_number)

    def package_detail(self, package_id: str) -> PackageDetail:
        return self._call(
            "package_detail",
            "GET",
            f"/fulfillment/202309/packages/{segment(package_id)}",
            parse_package,
        )

    def _correct(self, prefix: str, shipping_provider_id: str, tracking_number: str) -> None:
        self._call(
            "update_shipping_info",
            "POST",
            f"{prefix}/shipping_info/update",
            lambda data: None,
            body=_shipping_info(shipping_provider_id, tracking_number),
            idempotent=False,
        )


def _shipping_info(shipping_provider_id: str, tracking_number: str) -> dict:
    return {"tracking_number": tracking_number, "shipping_provider_id": shipping_provider_id}


def _providers(data: dict) -> list[ShippingProvider]:
    return [
        ShippingProvider(
            id=required(provider, "id", "shipping provider"),
            name=required(provider, "name", "shipping provider"),
        )
        for provider in data.get("shipping_providers") or ()
    ]


def _ids(values) -> tuple[str, ...]:
    return tuple(str(value) for value in values or () if value not in (None, ""))


def _ship_result(data: dict, order_id: str) -> ShipResult:
    """Lenient: the order is shipped by now, so a missing field must not turn that into a
    failure."""
    warning = data.get("warning")
    return ShipResult(
        order_id=text(data.get("order_id")) or order_id,
        package_id=text_or_empty(data.get("package_id")),
        line_item_ids=_ids(data.get("order_line_item_ids")),
        warning=text(warning.get("message")) if isinstance(warning, dict) else None,
    )


def parse_package(data: dict) -> PackageDetail:
    where = "package"
    orders = data.get("orders") or ()
    shipping_type = data.get("shipping_type")
    return PackageDetail(
        package_id=required(data, "package_id", where),
        order_ids=_ids(order.get("id") for order in orders if isinstance(order, dict)),
        status=enum_value(PackageStatus, data.get("package_status"), f"{where}.package_status"),
        shipping_type=(
            enum_value(ShippingType, shipping_type, f"{where}.shipping_type")
            if shipping_type
            else ShippingType.UNKNOWN
        ),
        delivery_option_id=text(data.get("delivery_option_id")),
        shipping_provider_id=text(data.get("shipping_provider_id")),
        shipping_provider_name=text(data.get("shipping_provider_name")),
        tracking_number=text(data.get("tracking_number")),
        line_item_ids=_ids(data.get("order_line_item_ids")),
        create_time=maybe_time(data.get("create_time")),
        update_time=maybe_time(data.get("update_time")),
    )
