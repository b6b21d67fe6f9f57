"""Making orders: from catalog SKUs (one line item per unit), with a plausible history.

An order added at a later status is walked there stage by stage, each stage a typical gap after
the last (squeezed to end no later than now), so its stage times read like a real order's.
"""

import random
from decimal import ROUND_HALF_UP, Decimal

from . import fakes
from .ids import Ids
from .orders import (
    AWAITING_SHIPMENT,
    CANCELLED,
    CHAIN,
    DAY,
    ON_HOLD,
    PARTIALLY_SHIPPING,
    RANK,
    STATUSES,
    UNPAID,
    LineItem,
    Order,
)

_GAP_S = {  # typical time from the previous stage
    ON_HOLD: 60,
    AWAITING_SHIPMENT: 3600,
    PARTIALLY_SHIPPING: DAY,
    "AWAITING_COLLECTION": DAY,
    "IN_TRANSIT": 6 * 3600,
    "DELIVERED": 3 * DAY,
    "COMPLETED": 15 * DAY,
}
CATALOG_FIELDS = ("seller_sku", "sku_id", "product_id", "product_name", "sku_name", "price")
DEFAULT_MIX = {AWAITING_SHIPMENT: 0.9, ON_HOLD: 0.05, UNPAID: 0.05}
FBT_SHARE = 0.05


def check_catalog(skus: list[dict]) -> dict[str, dict]:
    catalog = {}
    for sku in skus:
        missing = [name for name in CATALOG_FIELDS if not sku.get(name)]
        if missing:
            raise ValueError(f"catalog entry {sku} lacks {missing}")
        Decimal(sku["price"])  # must parse
        catalog[sku["seller_sku"]] = {"currency": "USD", **sku}
    return catalog


class OrderFactory:
    def __init__(self, rng: random.Random, ids: Ids):
        self._rng = rng
        self._ids = ids

    def build(
        self,
        catalog: dict[str, dict],
        *,
        skus: list[str],
        fulfillment_type: str,
        create_time: int,
        combined: list[dict] | None = None,
        shipping_type: str | None = None,
        order_id: str | None = None,
    ) -> Order:
        unknown = [sku for sku in skus if sku not in catalog]
        if unknown:
            raise ValueError(f"seller_sku(s) not in the catalog: {unknown}")
        units = [(catalog[sku], []) for sku in skus]
        units += [_combined_sku(catalog, spec) for spec in combined or []]
        if not units:
            raise ValueError("an order needs at least one unit")
        rng = self._rng
        buyer = fakes.buyer(rng)
        discount = Decimal("0.10") if rng.random() < 0.2 else Decimal(0)
        items = [
            _line_item(self._ids.new("line_item"), sku, components, discount, buyer)
            for sku, components in units
        ]
        sub_total = sum((item.sale_price for item in items), Decimal(0))
        by_tiktok = fulfillment_type == "FULFILLMENT_BY_TIKTOK"
        return Order(
            id=order_id or self._ids.new("order"),
            status=UNPAID,
            create_time=create_time,
            update_time=create_time,
            fulfillment_type=fulfillment_type,
            shipping_type=shipping_type or ("TIKTOK" if by_tiktok else "SELLER"),
            buyer=buyer,
            items=items,
            currency=units[0][0].get("currency", "USD"),
            shipping_fee=Decimal(0) if sub_total >= 35 else Decimal("4.99"),
            package_id=self._ids.new("package"),
            tracking_number=self._ids.new("tracking"),
            new_package_id=lambda: self._ids.new("package"),
        )

    def seed_spec(self, catalog: dict[str, dict], mix: dict[str, float], now: int) -> dict:
        """Random but seeded: status, 1-3 units, fulfilment and a create time for one order."""
        rng = self._rng
        status = rng.choices(list(mix), weights=list(mix.values()))[0]
        skus = [rng.choice(sorted(catalog)) for _ in range(rng.randint(1, 3))]
        by_tiktok = rng.random() < FBT_SHARE
        if status == ON_HOLD:  # still inside the 1-hour window, or TikTok would release it
            age = rng.randint(60, 45 * 60)
        elif status == UNPAID:
            age = rng.randint(60, 3 * 3600)
        else:
            age = rng.randint(2 * 3600, 4 * DAY)
        return {
            "status": status,
            "skus": skus,
            "fulfillment_type": "FULFILLMENT_BY_TIKTOK" if by_tiktok else "FULFILLMENT_BY_SELLER",
            "shipping_type": "TIKTOK" if by_tiktok else rng.choice(["SELLER", "TIKTOK"]),
            "create_time": now - age,
        }


def check_mix(mix: dict[str, float]) -> dict[str, float]:
    bad = [status for status in mix if status not in STATUSES or status == CANCELLED]
    if bad or not mix or any(weight < 0 for weight in mix.values()) or sum(mix.values()) <= 0:
        raise ValueError(f"statuses must map non-cancelled statuses to weights, got {mix}")
    return mix


def history(create_time: int, status: str, now: int) -> list[tuple[str, int]]:
    """The stages from UNPAID up to `status`, with times between create_time and now."""
    if status == CANCELLED:
        raise ValueError("add the order first, then cancel it with a cancel control")
    # PARTIALLY_SHIPPING only when asked for: orders whose items ship together skip it.
    steps = [s for s in CHAIN[1 : RANK[status] + 1] if s != PARTIALLY_SHIPPING or s == status]
    total = sum(_GAP_S[step] for step in steps)
    scale = min(1.0, max(0, now - create_time) / total) if total else 1.0
    at, timeline = create_time, []
    for step in steps:
        at += int(_GAP_S[step] * scale)
        timeline.append((step, at))
    return timeline


def _line_item(
    item_id: str, sku: dict, components: list[dict], discount: Decimal, buyer: dict
) -> LineItem:
    price = Decimal(sku["price"])
    off = (price * discount).quantize(Decimal("0.01"), ROUND_HALF_UP)
    rate = buyer["tax_rate"]
    tax = ((price - off) * Decimal(rate)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return LineItem(
        id=item_id,
        sku=sku,
        sale_price=price - off,
        seller_discount=off,
        tax=tax,
        tax_rate=rate,
        combined=components,
    )


def _combined_sku(catalog: dict[str, dict], spec: dict) -> tuple[dict, list[dict]]:
    """A combined-listing unit: {"sku_id", "seller_sku"?, "components": [{"seller_sku",
    "sku_count"}], "product_name"?, "price"?} -> (a catalog-like entry, combined_listing_skus).

    Components take the 202309 Get Order Detail shape {sku_id, sku_count, product_id}, with no
    seller_sku (only later doc versions add it, §10); Search Orders shows them only with
    `combined_on_search`."""
    components = spec.get("components") or []
    if not spec.get("sku_id") or not components:
        raise ValueError("a combined item needs sku_id and components")
    parts = []
    for component in components:
        if component.get("seller_sku") not in catalog or int(component.get("sku_count", 0)) < 1:
            raise ValueError(f"bad combined component {component}")
        parts.append((catalog[component["seller_sku"]], int(component["sku_count"])))
    price = spec.get("price") or str(sum(Decimal(sku["price"]) * count for sku, count in parts))
    names = " + ".join(f"{count} x {sku['product_name']}" for sku, count in parts)
    sku = {
        "seller_sku": spec.get("seller_sku", ""),
        "sku_id": spec["sku_id"],
        "product_id": spec.get("product_id", spec["sku_id"]),
        "product_name": spec.get("product_name", f"Bundle: {names}"),
        "sku_name": spec.get("sku_name", "Bundle"),
        "price": price,
        "currency": parts[0][0].get("currency", "USD"),
    }
    components = [
        {"sku_id": part["sku_id"], "sku_count": count, "product_id": part["product_id"]}
        for part, count in parts
    ]
    return sku, components
