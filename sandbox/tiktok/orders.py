"""The order object (§10) and how it moves through its statuses (§11).

Each line item is one unit (§10: no quantity field). Stage times (`paid_time`, `rts_time`,
`collection_time`, `delivery_time`) are set when an order reaches their stage and cleared if a
simulation control moves it back. `update_time` never goes backwards.

`MALFORMATIONS` are staged breakages of one order's JSON (on search and detail alike), so a
client can be checked to survive one bad order in a page; the order's state is not touched.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .fakes import masked
from .shipping import USPS, DeliveryOption, Package, deadlines, delivery_option

UNPAID, ON_HOLD, AWAITING_SHIPMENT = "UNPAID", "ON_HOLD", "AWAITING_SHIPMENT"
PARTIALLY_SHIPPING, AWAITING_COLLECTION = "PARTIALLY_SHIPPING", "AWAITING_COLLECTION"
IN_TRANSIT, DELIVERED, COMPLETED, CANCELLED = "IN_TRANSIT", "DELIVERED", "COMPLETED", "CANCELLED"

CHAIN = [UNPAID, ON_HOLD, AWAITING_SHIPMENT, PARTIALLY_SHIPPING, AWAITING_COLLECTION, IN_TRANSIT]
CHAIN += [DELIVERED, COMPLETED]
STATUSES = frozenset([*CHAIN, CANCELLED])
RANK = {status: rank for rank, status in enumerate(CHAIN)}
NEXT = {
    UNPAID: ON_HOLD,
    ON_HOLD: AWAITING_SHIPMENT,
    AWAITING_SHIPMENT: AWAITING_COLLECTION,  # all items ship together: PARTIALLY_SHIPPING skipped
    PARTIALLY_SHIPPING: AWAITING_COLLECTION,
    AWAITING_COLLECTION: IN_TRANSIT,
    IN_TRANSIT: DELIVERED,
    DELIVERED: COMPLETED,
}
SHIPPED = frozenset({IN_TRANSIT, DELIVERED, COMPLETED})  # the carrier has the package
STAGE_TIMES = {  # time field -> first status that sets it
    "paid_time": ON_HOLD,
    "rts_time": PARTIALLY_SHIPPING,
    "collection_time": IN_TRANSIT,
    "delivery_time": DELIVERED,
}
_TRACKING = {  # status -> carrier event text
    AWAITING_COLLECTION: "Shipping label created, awaiting carrier pickup",
    IN_TRANSIT: "Package picked up by the carrier",
    DELIVERED: "Delivered, in or at mailbox",
}
_CENT = Decimal("0.01")
WAREHOUSE_ID = "7293046219938309931"
DAY = 86400


def _drop_line_item_id(order: dict) -> None:
    order["line_items"][0].pop("id", None)


def _money_not_a_number(order: dict) -> None:
    order["line_items"][0]["sale_price"] = "N/A"
    order["payment"]["total_amount"] = "N/A"


def _drop_line_items(order: dict) -> None:
    del order["line_items"]


def _unknown_status(order: dict) -> None:
    order["status"] = "AWAITING_SOMETHING_NEW"


OVER_LONG = 300  # characters added: more than any id or code of §10 is ever seen to take


def _longer(value: str) -> str:
    return value + "9" * OVER_LONG


def _over_long_in_line_item(name: str) -> Callable[[dict], None]:
    def breakage(order: dict) -> None:
        item = order["line_items"][0]
        item[name] = _longer(item.get(name) or "")

    return breakage


def _over_long_currency(order: dict) -> None:
    order["payment"]["currency"] = _longer(order["payment"]["currency"])
    for item in order["line_items"]:
        item["currency"] = _longer(item["currency"])


def _over_long_cancellation_initiator(order: dict) -> None:
    order["cancellation_initiator"] = _longer(order.get("cancellation_initiator") or "SYSTEM")


MALFORMATIONS = {  # name -> how the order's JSON is broken
    "line_item_without_id": _drop_line_item_id,  # first line item has no `id`
    "money_not_a_number": _money_not_a_number,  # first `sale_price` and `total_amount` "N/A"
    "no_line_items": _drop_line_items,  # `line_items` missing altogether
    "unknown_status": _unknown_status,  # a `status` value §11 does not list
    # One field OVER_LONG characters longer than it is: the first line item's `id`, `sku_id`,
    # `seller_sku` or `display_status`; the order's and its items' `currency`; the order's
    # `cancellation_initiator` (shown even before a cancellation).
    **{
        f"over_long_{name}": _over_long_in_line_item(field)
        for name, field in (
            ("line_id", "id"),
            ("sku_id", "sku_id"),
            ("seller_sku", "seller_sku"),
            ("display_status", "display_status"),
        )
    },
    "over_long_currency": _over_long_currency,
    "over_long_cancellation_initiator": _over_long_cancellation_initiator,
}


def money(amount: Decimal) -> str:
    return str(amount.quantize(_CENT, ROUND_HALF_UP))


def image_url(sku_id: str) -> str:
    return f"https://p16-oec-va.ibyteimg.com/tos-maliva-i-o3syd03w52-us/{sku_id}.jpeg"


@dataclass
class LineItem:
    id: str
    sku: dict  # the catalog entry this unit was sold from
    sale_price: Decimal
    seller_discount: Decimal
    tax: Decimal
    tax_rate: str
    combined: list[dict] = field(default_factory=list)  # combined_listing_skus
    display_status: str = UNPAID
    cancel_user: str = ""
    cancel_reason: str = ""

    def to_json(self, order: "Order", *, combined: bool = True) -> dict:
        package = order.package_of(self.id)
        item = {
            "id": self.id,
            "sku_id": self.sku["sku_id"],
            "seller_sku": self.sku.get("seller_sku", ""),
            "product_id": self.sku["product_id"],
            "product_name": self.sku["product_name"],
            "sku_name": self.sku["sku_name"],
            "sku_image": image_url(self.sku["sku_id"]),
            "original_price": money(self.sale_price + self.seller_discount),
            "sale_price": money(self.sale_price),
            "seller_discount": money(self.seller_discount),
            "platform_discount": "0.00",
            "currency": order.currency,
            "display_status": self.display_status,
            "package_status": self._package_status(order, package),
            "is_gift": False,
            "sku_type": "NORMAL",
            "item_tax": [
                {"tax_type": "SALES_TAX", "tax_amount": money(self.tax), "tax_rate": self.tax_rate}
            ],
        }
        if package:  # US local sellers: no package id before the package ships (§10)
            item |= {
                "package_id": package.id,
                "rts_time": package.create_time,
                "tracking_number": package.tracking_number,
                "shipping_provider_name": package.provider.name,
                "shipping_provider_id": package.provider.id,
            }
        if self.cancel_user:
            item |= {"cancel_user": self.cancel_user, "cancel_reason": self.cancel_reason}
        if self.combined and combined:
            item["combined_listing_skus"] = [dict(component) for component in self.combined]
        return item

    def _package_status(self, order: "Order", package: Package | None) -> str:
        if self.cancel_user:
            return "CANCELLED"
        if package is None:
            return "TO_FULFILL"
        return package.status(cancelled=False)


@dataclass
class Order:
    id: str
    status: str
    create_time: int
    update_time: int
    fulfillment_type: str
    shipping_type: str
    buyer: dict  # fakes.buyer(): user_id, email, address
    items: list[LineItem]
    currency: str
    shipping_fee: Decimal
    package_id: str  # the first package's id, assigned up front, shown once the order ships
    tracking_number: str  # the tracking number a simulated shipment (no ship call) uses
    new_package_id: Callable[[], str]  # ids for packages after the first
    packages: list[Package] = field(default_factory=list)
    times: dict[str, int] = field(default_factory=dict)  # the STAGE_TIMES fields that are set
    tracking: dict[str, int] = field(default_factory=dict)  # status -> event time in ms
    cancel_reason: str = ""
    cancel_time: int = 0
    cancellation_initiator: str = ""
    request_cancel_time: int = 0  # a buyer's pending cancel request
    released: bool = False  # past UNPAID / ON_HOLD: buyer contact details are visible (§10)
    malformed: str = ""  # a MALFORMATIONS name: how this order's JSON comes out broken

    def move(self, status: str, at: int) -> None:
        """Set `status` at time `at`, filling stage times for every stage reached."""
        rank = RANK[status]
        for name, first in STAGE_TIMES.items():
            if RANK[first] <= rank:
                self.times.setdefault(name, at)
            else:
                self.times.pop(name, None)
        for stage in _TRACKING:
            if RANK[stage] <= rank:
                self.tracking.setdefault(stage, at * 1000)
            else:
                self.tracking.pop(stage, None)
        self._move_packages(status, at)
        self.status = status
        self.refresh_items()
        self.released = rank >= RANK[AWAITING_SHIPMENT]
        self.update_time = max(self.update_time, at)

    def _move_packages(self, status: str, at: int) -> None:
        """A status reached by a simulation control (not a ship call) ships what it needs to:
        every item at AWAITING_COLLECTION and later, the first at PARTIALLY_SHIPPING, in one
        USPS package; moving back before shipping drops the packages."""
        rank = RANK[status]
        if rank < RANK[PARTIALLY_SHIPPING]:
            self.packages.clear()
            return
        unpacked = self.unpacked
        if status == PARTIALLY_SHIPPING:
            unpacked = unpacked[:1] if len(unpacked) == len(self.items) else []
        if unpacked:
            self.pack(unpacked, USPS, self.tracking_number, at)
        backwards = rank < RANK.get(self.status, 0)
        for package in self.packages:
            if rank >= RANK[IN_TRANSIT]:
                package.collected_at = package.collected_at or at
            elif backwards:
                package.collected_at = 0
            if rank >= RANK[DELIVERED]:
                package.delivered_at = package.delivered_at or at
            elif backwards:
                package.delivered_at = 0

    def refresh_items(self) -> None:
        for item in self.items:
            item.display_status = _item_status(self.status, self.package_of(item.id))

    def pack(self, line_item_ids: list[str], provider, tracking_number: str, at: int) -> Package:
        """A new package of these items; the first takes the order's own `package_id`."""
        package_id = self.new_package_id() if self.packages else self.package_id
        package = Package(package_id, list(line_item_ids), provider, tracking_number, at, at)
        self.packages.append(package)
        return package

    def package_of(self, line_item_id: str) -> Package | None:
        return next((p for p in self.packages if line_item_id in p.line_item_ids), None)

    @property
    def unpacked(self) -> list[str]:
        return [item.id for item in self.items if self.package_of(item.id) is None]

    @property
    def delivery_option(self) -> DeliveryOption:
        return delivery_option(self.shipping_type, self.fulfillment_type)

    def cancel(self, *, initiator: str, user: str, reason_text: str, at: int) -> None:
        self.status = CANCELLED
        self.cancel_reason = reason_text
        self.cancellation_initiator = initiator
        self.cancel_time = at
        self.request_cancel_time = 0
        for item in self.items:
            item.display_status = CANCELLED
            item.cancel_user, item.cancel_reason = user, reason_text
        self.update_time = max(self.update_time, at)

    @property
    def paid(self) -> bool:
        return "paid_time" in self.times

    def payment(self) -> dict:
        sub_total = sum((item.sale_price for item in self.items), Decimal(0))
        seller_discount = sum((item.seller_discount for item in self.items), Decimal(0))
        tax = sum((item.tax for item in self.items), Decimal(0))
        zero = "0.00"
        return {
            "currency": self.currency,
            "original_total_product_price": money(sub_total + seller_discount),
            "seller_discount": money(seller_discount),
            "platform_discount": zero,
            "sub_total": money(sub_total),
            "original_shipping_fee": money(self.shipping_fee),
            "shipping_fee_seller_discount": zero,
            "shipping_fee_platform_discount": zero,
            "shipping_fee": money(self.shipping_fee),
            "tax": money(tax),
            "product_tax": money(tax),
            "shipping_fee_tax": zero,
            "retail_delivery_fee": zero,
            "total_amount": money(sub_total + self.shipping_fee + tax),
        }

    def to_json(self, *, combined: bool = True) -> dict:
        """The §10 object. `combined=False` leaves out `combined_listing_skus` (202309 Search
        Orders: only Get Order Detail carries it)."""
        order = {
            "id": self.id,
            "status": self.status,
            "create_time": self.create_time,
            "update_time": self.update_time,
            **self.times,
            "fulfillment_type": self.fulfillment_type,
            "shipping_type": self.shipping_type,
            "delivery_type": "HOME_DELIVERY",
            "delivery_option_id": self.delivery_option.id,
            "delivery_option_name": self.delivery_option.name,
            "warehouse_id": WAREHOUSE_ID,
            "user_id": self.buyer["user_id"],
            "buyer_email": self.buyer["email"] if self.released else "",
            "buyer_message": "",
            "is_on_hold_order": True,  # US orders all pass the 1-hour remorse window
            "is_sample_order": False,
            "is_replacement_order": False,
            "is_cod": False,
            "has_updated_recipient_address": False,
            "is_buyer_request_cancel": bool(self.request_cancel_time),
            "payment": self.payment(),
            "line_items": [item.to_json(self, combined=combined) for item in self.items],
        }
        if self.request_cancel_time:
            order["request_cancel_time"] = self.request_cancel_time
        if self.paid:
            order |= deadlines(self.times["paid_time"])
        if self.released:  # absent while UNPAID / ON_HOLD
            order["recipient_address"] = self._address()
        if self.packages:
            first = self.packages[0]
            order |= {
                "shipping_provider": first.provider.name,
                "shipping_provider_id": first.provider.id,
                "tracking_number": first.tracking_number,
                "packages": [{"id": package.id} for package in self.packages],
            }
        if self.status == CANCELLED:
            order |= {"cancel_reason": self.cancel_reason, "cancel_time": self.cancel_time}
            order["cancellation_initiator"] = self.cancellation_initiator
        if self.malformed:
            MALFORMATIONS[self.malformed](order)
        return order

    def _address(self) -> dict:
        address = self.buyer["address"]
        tiktok_ships = (
            self.fulfillment_type == "FULFILLMENT_BY_TIKTOK" or self.shipping_type == "TIKTOK"
        )
        return masked(address) if tiktok_ships else dict(address)

    def tracking_events(self) -> list[dict]:
        """Newest first (the reference gives no order)."""
        events = sorted(
            ((ms, _TRACKING[stage]) for stage, ms in self.tracking.items()), reverse=True
        )
        return [{"description": text, "update_time_millis": ms} for ms, text in events]


def _item_status(status: str, package: Package | None) -> str:
    if status == ON_HOLD:
        return AWAITING_SHIPMENT  # no ON_HOLD in the line-item enum
    if status == PARTIALLY_SHIPPING:
        if package is None:
            return AWAITING_SHIPMENT
        return IN_TRANSIT if package.collected_at else AWAITING_COLLECTION
    return status
