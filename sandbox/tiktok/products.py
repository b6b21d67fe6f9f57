"""The shop's products, SKUs, warehouses and stock (§18), built from the sandbox catalog.

Each catalog entry is one SKU; entries sharing a `product_id` are one product. A SKU starts in
the main warehouse with `DEFAULT_QUANTITY` units; `set_stock` gives SKUs other warehouses and
quantities.

Stock follows orders as TikTok's does (Inventory Search, §18.2): a new order moves its units
from available to committed in the main warehouse (or the SKU's first), never below zero; a
cancellation gives them back; shipping takes them out of committed. Orders fulfilled by TikTok
ship from TikTok's stock and touch none of this.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from .orders import CANCELLED, RANK, WAREHOUSE_ID, Order

DEFAULT_QUANTITY = 20
PRODUCT_STATUSES = (
    "DRAFT",
    "PENDING",
    "FAILED",
    "ACTIVATE",
    "SELLER_DEACTIVATED",
    "PLATFORM_DEACTIVATED",
    "FREEZE",
    "DELETED",
)


@dataclass(frozen=True)
class Warehouse:
    id: str
    name: str
    type: str  # SALES_WAREHOUSE or RETURN_WAREHOUSE
    is_default: bool = False

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "entity_id": str(int(self.id) + 1000),
            "name": self.name,
            "effect_status": "ENABLED",
            "type": self.type,
            "sub_type": "DOMESTIC_WAREHOUSE",
            "is_default": self.is_default,
            "address": {
                "region": "United States",
                "state": "Texas",
                "city": "Austin",
                "postal_code": "78701",
                "full_address": "100 Congress Ave, Austin, Texas, 78701, United States",
                "region_code": "US",
            },
        }


MAIN_WAREHOUSE = Warehouse(WAREHOUSE_ID, "Main warehouse", "SALES_WAREHOUSE", True)  # on orders
OVERFLOW_WAREHOUSE = Warehouse("7293046219938309932", "Overflow 3PL", "SALES_WAREHOUSE")
RETURN_WAREHOUSE = Warehouse("7293046219938309940", "Returns desk", "RETURN_WAREHOUSE")
WAREHOUSES = {w.id: w for w in (MAIN_WAREHOUSE, OVERFLOW_WAREHOUSE, RETURN_WAREHOUSE)}
SALES_WAREHOUSES = frozenset(w.id for w in WAREHOUSES.values() if w.type == "SALES_WAREHOUSE")


@dataclass
class Sku:
    id: str
    seller_sku: str
    name: str
    price: Decimal
    currency: str
    available: dict[str, int]  # warehouse id -> units that can be ordered (Update Inventory)
    committed: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict:
        price = str(self.price.quantize(Decimal("0.01")))
        return {
            "id": self.id,
            "seller_sku": self.seller_sku,
            "price": {"currency": self.currency, "sale_price": price, "tax_exclusive_price": price},
            "inventory": [{"warehouse_id": w, "quantity": q} for w, q in self.available.items()],
            "sales_attributes": [{"name": "Variant", "value_name": self.name}],
        }

    def inventory_json(self) -> dict:
        return {
            "id": self.id,
            "seller_sku": self.seller_sku,
            "total_available_quantity": sum(self.available.values()),
            "total_committed_quantity": sum(self.committed.values()),
            "warehouse_inventory": [
                {
                    "warehouse_id": w,
                    "available_quantity": q,
                    "committed_quantity": self.committed.get(w, 0),
                }
                for w, q in self.available.items()
            ],
            "total_available_inventory_distribution": {
                "campaign_inventory": [],
                "creator_inventory": [],
                "in_shop_inventory": {"quantity": sum(self.available.values())},
            },
        }


@dataclass
class Product:
    id: str
    title: str
    status: str
    create_time: int
    update_time: int
    skus: list[Sku]

    def to_json(self, *, detail: bool = False) -> dict:
        product = {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "skus": [sku.to_json() for sku in self.skus],
            "sales_regions": ["US"],
            "create_time": self.create_time,
            "update_time": self.update_time,
        }
        if detail:
            product |= {"description": f"<p>{self.title}</p>", "is_cod_allowed": False}
        return product


@dataclass
class _Held:
    """What one order took: (sku id, warehouse) -> units committed, and units taken from
    available (fewer when stock had run out)."""

    units: dict[tuple[str, str], int]
    taken: dict[tuple[str, str], int]
    state: str = "committed"  # then "shipped" or "released"


class ProductBook:
    def __init__(self) -> None:
        self.products: dict[str, Product] = {}
        self.skus: dict[str, tuple[Product, Sku]] = {}
        self._held: dict[str, _Held] = {}

    def load(self, catalog: dict[str, dict], now: int) -> None:
        products: dict[str, Product] = {}
        for entry in catalog.values():
            product = products.setdefault(
                entry["product_id"],
                Product(entry["product_id"], entry["product_name"], "ACTIVATE", now, now, []),
            )
            product.skus.append(
                Sku(
                    id=entry["sku_id"],
                    seller_sku=entry["seller_sku"],
                    name=entry["sku_name"],
                    price=Decimal(entry["price"]),
                    currency=entry.get("currency", "USD"),
                    available={MAIN_WAREHOUSE.id: DEFAULT_QUANTITY},
                )
            )
        self.products = products
        self.skus = {sku.id: (p, sku) for p in products.values() for sku in p.skus}
        self._held = {}

    def set_stock(self, stock: dict[str, list[dict]]) -> None:
        """sku_id -> [{"warehouse_id", "quantity"}]: the SKU's sales warehouses and units."""
        checked = {}
        for sku_id, rows in stock.items():
            if sku_id not in self.skus:
                raise KeyError(f"sku {sku_id}")
            if not rows or not isinstance(rows, list):
                raise ValueError(f"sku {sku_id}: give at least one warehouse")
            checked[sku_id] = {}
            for row in rows:
                warehouse, quantity = row.get("warehouse_id"), row.get("quantity")
                if (
                    warehouse not in SALES_WAREHOUSES
                    or not isinstance(quantity, int)
                    or quantity < 0
                ):
                    raise ValueError(f"sku {sku_id}: bad stock row {row}")
                checked[sku_id][warehouse] = quantity
        for sku_id, available in checked.items():
            self.skus[sku_id][1].available = available

    def follow(self, order: Order) -> None:
        """Move stock for an order that is new, cancelled or shipped (called on every change)."""
        if order.fulfillment_type == "FULFILLMENT_BY_TIKTOK":
            return
        held = self._held.get(order.id)
        if held is None:
            held = self._held[order.id] = self._commit(order)
        if held.state != "committed":
            return
        if order.status == CANCELLED:
            for key, units in held.units.items():
                sku = self.skus[key[0]][1]
                sku.committed[key[1]] -= units
                sku.available[key[1]] += held.taken[key]
            held.state = "released"
        elif RANK[order.status] >= RANK["AWAITING_COLLECTION"]:
            for (sku_id, warehouse), units in held.units.items():
                self.skus[sku_id][1].committed[warehouse] -= units
            held.state = "shipped"

    def _commit(self, order: Order) -> _Held:
        held = _Held({}, {})
        for item in order.items:
            parts = [(c["sku_id"], c["sku_count"]) for c in item.combined] or [
                (item.sku["sku_id"], 1)
            ]
            for sku_id, count in parts:
                if sku_id not in self.skus:
                    continue  # a bundle's own SKU, or one outside the products
                sku = self.skus[sku_id][1]
                warehouse = MAIN_WAREHOUSE.id if MAIN_WAREHOUSE.id in sku.available else None
                warehouse = warehouse or next(iter(sku.available))
                taken = min(count, sku.available[warehouse])
                sku.available[warehouse] -= taken
                sku.committed[warehouse] = sku.committed.get(warehouse, 0) + count
                key = (sku_id, warehouse)
                held.units[key] = held.units.get(key, 0) + count
                held.taken[key] = held.taken.get(key, 0) + taken
        return held
