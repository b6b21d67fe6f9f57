"""Products, their SKUs and stock, and the shop's warehouses (TikTok reference §18; Search
Products and Get Product from the Partner API pages).

Update Inventory sets absolute quantities, so a resend carries the same values and is
retried like a read. It can answer code 0 while some SKUs failed: `InventoryUpdate.failed`
names them, with TikTok's codes per warehouse, and must be read on every success.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sync.tiktok.calls import TikTokCalls, segment
from sync.tiktok.fields import (
    Unreadable,
    count_or_none,
    enum_value,
    maybe_time,
    money,
    read_each,
    required,
    text,
    text_or_empty,
    whole_number,
)
from sync.tiktok.models import next_page_token

SELLER_SKUS_PER_SEARCH = 10
SKU_IDS_PER_INVENTORY_SEARCH = 600
PRODUCT_IDS_PER_INVENTORY_SEARCH = 100
SKUS_PER_UPDATE = 100


class ProductStatus(StrEnum):
    DRAFT = "DRAFT"
    PENDING = "PENDING"
    FAILED = "FAILED"
    ACTIVATE = "ACTIVATE"  # live: the only status Update Inventory takes
    SELLER_DEACTIVATED = "SELLER_DEACTIVATED"
    PLATFORM_DEACTIVATED = "PLATFORM_DEACTIVATED"
    FREEZE = "FREEZE"
    DELETED = "DELETED"
    UNKNOWN = "UNKNOWN"


class WarehouseType(StrEnum):
    SALES_WAREHOUSE = "SALES_WAREHOUSE"
    RETURN_WAREHOUSE = "RETURN_WAREHOUSE"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class WarehouseQuantity:
    warehouse_id: str
    quantity: int


@dataclass(frozen=True)
class ProductSku:
    id: str
    seller_sku: str
    price: Decimal | None
    currency: str
    stock: tuple[WarehouseQuantity, ...]  # every warehouse the SKU has

    @property
    def quantity(self) -> int:
        return sum(entry.quantity for entry in self.stock)


@dataclass(frozen=True)
class Product:
    id: str
    title: str
    status: ProductStatus
    skus: tuple[ProductSku, ...]
    create_time: datetime | None
    update_time: datetime | None


@dataclass(frozen=True)
class ProductPage:
    products: list[Product]
    next_page_token: str
    total_count: int | None
    skipped: tuple[str, ...] = ()  # ids of products on this page that could not be read


@dataclass(frozen=True)
class SkuInventory:
    """What Update Inventory sets for one SKU: a quantity for every warehouse it has."""

    sku_id: str
    stock: tuple[WarehouseQuantity, ...]


@dataclass(frozen=True)
class WarehouseError:
    warehouse_id: str | None
    code: int | None
    message: str


@dataclass(frozen=True)
class SkuError:
    sku_id: str | None
    code: int | None
    message: str
    warehouses: tuple[WarehouseError, ...]


@dataclass(frozen=True)
class InventoryUpdate:
    failed: tuple[SkuError, ...]  # SKUs TikTok left as they were; every other SKU was set

    def ok(self, sku_id: str) -> bool:
        return all(error.sku_id != sku_id for error in self.failed)


@dataclass(frozen=True)
class WarehouseStock:
    warehouse_id: str
    available: int
    committed: int  # reserved by open orders


@dataclass(frozen=True)
class SkuStock:
    product_id: str
    sku_id: str
    seller_sku: str
    available: int
    committed: int
    warehouses: tuple[WarehouseStock, ...]


@dataclass(frozen=True)
class Warehouse:
    id: str
    name: str
    type: WarehouseType
    effect_status: str | None  # ENABLED, DISABLED, RESTRICTED
    is_default: bool


class ProductCalls(TikTokCalls):
    def search_products(
        self,
        *,
        seller_skus: Sequence[str] | None = None,
        status: ProductStatus | None = ProductStatus.ACTIVATE,
        update_time_ge: int | None = None,
        update_time_le: int | None = None,
        page_size: int = 100,
    ) -> Iterator[ProductPage]:
        """Pages of products, one request each. TikTok takes at most 10 seller SKUs per search,
        so more are searched 10 at a time, one after the other."""
        filters = {
            "status": str(status) if status else None,
            "update_time_ge": update_time_ge,
            "update_time_le": update_time_le,
        }
        base = {name: value for name, value in filters.items() if value is not None}
        params = {"page_size": str(page_size)}
        path = "/product/202309/products/search"
        wanted = list(dict.fromkeys(seller_skus)) if seller_skus is not None else None
        if wanted == []:
            return
        chunks = [None] if wanted is None else _chunks(wanted, SELLER_SKUS_PER_SEARCH)
        for chunk in chunks:
            body = base if chunk is None else {**base, "seller_skus": chunk}
            yield from self._pages("search_products", path, params, body, parse_product_page)

    def get_product(self, product_id: str) -> Product:
        return self._call(
            "get_product", "GET", f"/product/202309/products/{segment(product_id)}", parse_product
        )

    def update_inventory(self, product_id: str, skus: Sequence[SkuInventory]) -> InventoryUpdate:
        """Set SKUs of one product (each with all its warehouses, TikTok requires it)."""
        if not skus or len(skus) > SKUS_PER_UPDATE:
            raise ValueError(f"update 1-{SKUS_PER_UPDATE} SKUs of one product at a time")
        body = {
            "skus": [
                {
                    "id": sku.sku_id,
                    "inventory": [
                        {"warehouse_id": entry.warehouse_id, "quantity": entry.quantity}
                        for entry in sku.stock
                    ],
                }
                for sku in skus
            ]
        }
        return self._call(
            "update_inventory",
            "POST",
            f"/product/202309/products/{segment(product_id)}/inventory/update",
            _inventory_update,
            body=body,
        )

    def inventory_search(
        self, *, sku_ids: Sequence[str] | None = None, product_ids: Sequence[str] | None = None
    ) -> list[SkuStock]:
        """Available and committed stock per SKU, by SKU ids (600 a call) or else by product
        ids (100 a call)."""
        if sku_ids:
            name, ids, size = "sku_ids", list(sku_ids), SKU_IDS_PER_INVENTORY_SEARCH
        elif product_ids:
            name, ids, size = "product_ids", list(product_ids), PRODUCT_IDS_PER_INVENTORY_SEARCH
        else:
            return []
        found: list[SkuStock] = []
        for chunk in _chunks(ids, size):
            found += self._call(
                "inventory_search",
                "POST",
                "/product/202309/inventory/search",
                _sku_stock,
                body={name: chunk},
            )
        return found

    def warehouses(self) -> list[Warehouse]:
        return self._call("warehouses", "GET", "/logistics/202309/warehouses", _warehouses)


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _objects(value: Any, where: str) -> list[dict]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise Unreadable(f"{where} is not a list of objects")
    return value


def parse_product(data: dict) -> Product:
    product_id = required(data, "id", "product")
    where = f"product {product_id}"
    return Product(
        id=product_id,
        title=text_or_empty(data.get("title")),
        status=enum_value(ProductStatus, data.get("status"), f"{where}.status"),
        skus=tuple(_sku(sku, where) for sku in _objects(data.get("skus"), f"{where}.skus")),
        create_time=maybe_time(data.get("create_time")),
        update_time=maybe_time(data.get("update_time")),
    )


def _sku(sku: dict, where: str) -> ProductSku:
    sku_id = required(sku, "id", f"{where} sku")
    where = f"{where} sku {sku_id}"
    price = sku.get("price") if isinstance(sku.get("price"), dict) else {}
    stock = tuple(
        WarehouseQuantity(
            warehouse_id=required(entry, "warehouse_id", f"{where} inventory"),
            quantity=whole_number(entry.get("quantity"), f"{where} inventory.quantity"),
        )
        for entry in _objects(sku.get("inventory"), f"{where}.inventory")
    )
    return ProductSku(
        id=sku_id,
        seller_sku=text_or_empty(sku.get("seller_sku")),
        price=money(price.get("sale_price"), f"{where} sale_price"),
        currency=text_or_empty(price.get("currency")),
        stock=stock,
    )


def parse_product_page(data: dict) -> ProductPage:
    found, skipped = read_each(data.get("products"), parse_product, "product")
    return ProductPage(
        products=found,
        next_page_token=next_page_token(data),
        total_count=count_or_none(data.get("total_count")),
        skipped=skipped,
    )


def _inventory_update(data: dict) -> InventoryUpdate:
    """Lenient where it can be: an error entry without a SKU id still counts as a failure."""
    failed = []
    for error in _objects(data.get("errors"), "inventory update errors"):
        detail = error.get("detail") if isinstance(error.get("detail"), dict) else {}
        warehouses = tuple(
            WarehouseError(
                warehouse_id=text(extra.get("warehouse_id")),
                code=extra.get("code") if isinstance(extra.get("code"), int) else None,
                message=text_or_empty(extra.get("message")),
            )
            for extra in _objects(detail.get("extra_errors"), "inventory update extra_errors")
        )
        failed.append(
            SkuError(
                sku_id=text(detail.get("sku_id")),
                code=error.get("code") if isinstance(error.get("code"), int) else None,
                message=text_or_empty(error.get("message")),
                warehouses=warehouses,
            )
        )
    return InventoryUpdate(failed=tuple(failed))


def _sku_stock(data: dict) -> list[SkuStock]:
    found = []
    for entry in _objects(data.get("inventory"), "inventory"):
        product_id = required(entry, "product_id", "inventory")
        for sku in _objects(entry.get("skus"), f"inventory {product_id}.skus"):
            where = f"inventory sku {text(sku.get('id')) or '?'}"
            warehouses = tuple(
                WarehouseStock(
                    warehouse_id=required(w, "warehouse_id", where),
                    available=whole_number(w.get("available_quantity"), f"{where} available"),
                    committed=whole_number(w.get("committed_quantity", 0), f"{where} committed"),
                )
                for w in _objects(sku.get("warehouse_inventory"), f"{where}.warehouse_inventory")
            )
            found.append(
                SkuStock(
                    product_id=product_id,
                    sku_id=required(sku, "id", where),
                    seller_sku=text_or_empty(sku.get("seller_sku")),
                    available=whole_number(sku.get("total_available_quantity"), where),
                    committed=whole_number(sku.get("total_committed_quantity", 0), where),
                    warehouses=warehouses,
                )
            )
    return found


def _warehouses(data: dict) -> list[Warehouse]:
    return [
        Warehouse(
            id=required(w, "id", "warehouse"),
            name=text_or_empty(w.get("name")),
            type=enum_value(WarehouseType, w.get("type"), "warehouse.type"),
            effect_status=text(w.get("effect_status")),
            is_default=bool(w.get("is_default", False)),
        )
        for w in _objects(data.get("warehouses"), "warehouses")
    ]
