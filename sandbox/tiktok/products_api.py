"""Product and stock endpoints (§18): Search Products, Get Product, Update Inventory, Inventory
Search, Get Warehouse List. Search Products and Get Product are not in the reference; their
paths, fields and codes are the Partner API pages' (Search Products' codes from its newest page).

Update Inventory refuses the whole call for a malformed request (the SKU list, ids, duplicates,
a SKU without inventory, a quantity that is not a whole number, a warehouse left unnamed on a
SKU with several) and changes nothing. A well-formed request is checked SKU by SKU: a SKU whose
warehouses are not exactly its own, or whose quantity is outside the limits, is left as it was
and reported in `data.errors[]` as the reference's sample shows (12052990 with `extra_errors`
per warehouse); the others are set, and the call answers code 0. Quantity 0 is outside the
printed range (1-99,999) but sold-out stock needs it (§18.4): `zero_quantity` chooses
("accept", the default, or "reject").
"""

from sandbox.server import Request

from .errors import (
    CHECK_FAILED,
    DUPLICATE_SKU,
    NOT_A_DELIVERY_WAREHOUSE,
    PAGE_SIZE_INVALID,
    PRODUCT_ID_INVALID,
    PRODUCT_IDS_OVER_LIMIT,
    PRODUCT_NOT_FOUND,
    PRODUCT_STATUS_NOT_ALLOWED,
    QUANTITY_OUT_OF_LIMITS,
    SEARCH_TIME_INVALID,
    SELLER_SKUS_OVER_LIMIT,
    SEVERAL_WAREHOUSES,
    SKU_COUNT_OVER_LIMIT,
    SKU_ID_REQUIRED,
    SKU_LIST_EMPTY,
    SKU_NEEDS_WAREHOUSE,
    SKU_NOT_FOUND,
    STOCK_COUNT_INVALID,
    TOO_MANY_SKUS,
    WAREHOUSE_MISSING,
    WAREHOUSE_NOT_FOUND,
    WAREHOUSES_FIXED,
    ApiError,
)
from .paging import Pager
from .params import Route, is_int, page, page_size
from .products import PRODUCT_STATUSES, SALES_WAREHOUSES, WAREHOUSES, Product, ProductBook, Sku
from .store import Store

MAX_QUANTITY = 99_999
ZERO_POLICIES = ("accept", "reject")
_TIME_FILTERS = ("create_time_ge", "create_time_le", "update_time_ge", "update_time_le")
_NO_WAREHOUSE = "The warehouse does not exist"
_NOT_DELIVERY = "the warehouse not delivery warehouse"
_OUT_OF_LIMITS = "The SKU inventory quantity for the warehouse must be within allowed limits."


class ProductsApi:
    def __init__(self, store: Store, book: ProductBook, pager: Pager):
        self._store = store
        self._book = book
        self._pager = pager
        self.zero_quantity = "accept"

    def routes(self) -> list[Route]:
        return [
            Route("POST", "/product/202309/products/search", "shop", self.search_products),
            Route("GET", "/product/202309/products/{product_id}", "shop", self.product),
            Route(
                "POST",
                "/product/202309/products/{product_id}/inventory/update",
                "shop",
                self.update_inventory,
            ),
            Route("POST", "/product/202309/inventory/search", "shop", self.inventory_search),
            Route("GET", "/logistics/202309/warehouses", "shop", self.warehouses),
        ]

    def search_products(self, request: Request, params: dict, body: dict) -> dict:
        query = request.query
        size = page_size(query, PAGE_SIZE_INVALID, required=True, default=20, most=100)
        status = body.get("status", "ALL")
        if status != "ALL" and status not in PRODUCT_STATUSES:
            raise ApiError(PRODUCT_ID_INVALID, f"Invalid parameter: status {status!r}")
        seller_skus = body.get("seller_skus")
        if seller_skus is not None:
            if not isinstance(seller_skus, list) or not all(
                isinstance(s, str) for s in seller_skus
            ):
                raise ApiError(SELLER_SKUS_OVER_LIMIT, "seller_skus must be a list of SKU codes")
            if len(seller_skus) > 10:
                raise ApiError(
                    SELLER_SKUS_OVER_LIMIT,
                    "The maximum count of \u201cseller_skus\u201d in the search filter is 10.",
                )
        times = {name: body[name] for name in _TIME_FILTERS if body.get(name) is not None}
        if not all(is_int(value) for value in times.values()):
            raise ApiError(SEARCH_TIME_INVALID, "search time invalid")
        filters = {"status": status, "seller_skus": sorted(seller_skus or []), **times}
        bound = {"search": "products", **filters}

        def matching() -> list[str]:
            found = [p for p in self._book.products.values() if _product_matches(p, filters)]
            found.sort(key=lambda p: (p.create_time, p.id))
            return [product.id for product in found]

        with self._store.lock:
            ids, token, total = page(self._pager, matching, bound, size, query, PAGE_SIZE_INVALID)
            products = [self._book.products[product_id].to_json() for product_id in ids]
        return {"products": products, "next_page_token": token, "total_count": total}

    def product(self, request: Request, params: dict, body: dict) -> dict:
        with self._store.lock:
            return self._product(params["product_id"]).to_json(detail=True)

    def update_inventory(self, request: Request, params: dict, body: dict) -> dict:
        with self._store.lock:
            product = self._product(params["product_id"])
            if product.status != "ACTIVATE":
                raise ApiError(
                    PRODUCT_STATUS_NOT_ALLOWED,
                    "The product in its current status is not available for this operation.",
                )
            wanted = self._well_formed(product, body.get("skus"))
            errors, changed = [], False
            for sku, rows in wanted:
                problems = self._check_sku(sku, rows)
                if problems:
                    detail = {"sku_id": sku.id, "extra_errors": problems}
                    errors.append(
                        {"code": CHECK_FAILED, "message": "Check failed", "detail": detail}
                    )
                    continue
                for row in rows:
                    warehouse = row.get("warehouse_id") or next(iter(sku.available))
                    sku.available[warehouse] = row["quantity"]
                changed = True
            if changed:
                product.update_time = self._store.now()
            return {"errors": errors} if errors else {}

    def inventory_search(self, request: Request, params: dict, body: dict) -> dict:
        sku_ids, product_ids = body.get("sku_ids"), body.get("product_ids")
        for name, value in (("sku_ids", sku_ids), ("product_ids", product_ids)):
            if value is not None and (
                not isinstance(value, list) or not all(isinstance(i, str) for i in value)
            ):
                raise ApiError(PRODUCT_ID_INVALID, f"Invalid parameter: {name}")
        if not sku_ids and not product_ids:
            raise ApiError(PRODUCT_ID_INVALID, "Product id is invalid: give product_ids or sku_ids")
        if sku_ids and len(sku_ids) > 600:
            raise ApiError(SKU_COUNT_OVER_LIMIT, "The number of SKU exceed the limit")
        if not sku_ids and len(product_ids) > 100:
            raise ApiError(PRODUCT_IDS_OVER_LIMIT, "The number of product IDs exceeds the limit.")
        book = self._book
        with self._store.lock:
            if sku_ids:  # sku_ids win when both are sent (§18.2); unknown ids are left out
                chosen = [book.skus[i] for i in dict.fromkeys(sku_ids) if i in book.skus]
            else:
                chosen = [
                    (book.products[i], sku)
                    for i in dict.fromkeys(product_ids)
                    if i in book.products
                    for sku in book.products[i].skus
                ]
            inventory: dict[str, dict] = {}
            for product, sku in chosen:
                entry = inventory.setdefault(product.id, {"product_id": product.id, "skus": []})
                entry["skus"].append(sku.inventory_json())
        return {"inventory": list(inventory.values())}

    def warehouses(self, request: Request, params: dict, body: dict) -> dict:
        return {"warehouses": [warehouse.to_json() for warehouse in WAREHOUSES.values()]}

    def _product(self, product_id: str) -> Product:
        product = self._book.products.get(product_id)
        if product is None or product.status in ("FREEZE", "DELETED"):
            raise ApiError(PRODUCT_NOT_FOUND, "The product does not exist")
        return product

    def _well_formed(self, product: Product, skus) -> list[tuple[Sku, list[dict]]]:
        if not isinstance(skus, list) or not skus:
            raise ApiError(
                SKU_LIST_EMPTY,
                "The SKU list is empty. Either omit the list entirely, or provide all details.",
            )
        if len(skus) > 100:
            raise ApiError(TOO_MANY_SKUS, "A single product cannot have more than 100 SKUs")
        own = {sku.id: sku for sku in product.skus}
        wanted, seen = [], set()
        for entry in skus:
            sku_id = entry.get("id") if isinstance(entry, dict) else None
            if not isinstance(sku_id, str) or not sku_id:
                raise ApiError(SKU_ID_REQUIRED, "The SKU ID is necessary")
            if sku_id in seen:
                raise ApiError(DUPLICATE_SKU, "Sku id duplicate")
            seen.add(sku_id)
            if sku_id not in own:
                raise ApiError(SKU_NOT_FOUND, "The SKU id not exist.")
            rows = entry.get("inventory")
            if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
                raise ApiError(SKU_NEEDS_WAREHOUSE, "SKU must contain a valid warehouse.")
            for row in rows:
                if not is_int(row.get("quantity")) or any(
                    row.get(name) is not None and not is_int(row[name])
                    for name in ("backorder_quantity", "handling_time")
                ):
                    raise ApiError(STOCK_COUNT_INVALID, "stock count is invalid")
                if not row.get("warehouse_id") and len(own[sku_id].available) > 1:
                    raise ApiError(
                        SEVERAL_WAREHOUSES,
                        "Multiple warehouses detected. Include all warehouse IDs and the "
                        "corresponding details and try again.",
                    )
            wanted.append((own[sku_id], rows))
        return wanted

    def _check_sku(self, sku: Sku, rows: list[dict]) -> list[dict]:
        """The SKU's warehouse-level problems, as `extra_errors` entries."""
        problems, named = [], []
        least = 0 if self.zero_quantity == "accept" else 1
        for row in rows:
            warehouse = row.get("warehouse_id") or next(iter(sku.available))
            if warehouse not in WAREHOUSES:
                problems.append(
                    _extra(warehouse, WAREHOUSE_NOT_FOUND, "The warehouse does not exist")
                )
            elif warehouse not in SALES_WAREHOUSES:
                problems.append(
                    _extra(
                        warehouse, NOT_A_DELIVERY_WAREHOUSE, "the warehouse not delivery warehouse"
                    )
                )
            elif warehouse not in sku.available or warehouse in named:
                problems.append(
                    _extra(
                        warehouse,
                        WAREHOUSES_FIXED,
                        "Removal, addition, and change of warehouses are not permitted. "
                        "Please specify the original warehouses for the SKUs.",
                    )
                )
            elif not least <= row["quantity"] <= MAX_QUANTITY:
                problems.append(_extra(warehouse, QUANTITY_OUT_OF_LIMITS, _OUT_OF_LIMITS))
            named.append(warehouse)
        for warehouse in sku.available:
            if warehouse not in named:
                problems.append(
                    _extra(
                        warehouse,
                        WAREHOUSE_MISSING,
                        "Missing warehouse IDs (all warehouses that stock the product must be "
                        "included)",
                    )
                )
        return problems


def _extra(warehouse_id: str, code: int, message: str) -> dict:
    return {"warehouse_id": warehouse_id, "code": code, "message": message}


def _product_matches(product: Product, filters: dict) -> bool:
    if filters["status"] != "ALL" and product.status != filters["status"]:
        return False
    wanted = filters["seller_skus"]
    if wanted and not {sku.seller_sku for sku in product.skus} & set(wanted):
        return False
    for name in _TIME_FILTERS:
        if name in filters:
            field, _, bound = name.rpartition("_")
            actual = getattr(product, field)
            if (bound == "ge" and actual < filters[name]) or (
                bound == "le" and actual > filters[name]
            ):
                return False
    return True
