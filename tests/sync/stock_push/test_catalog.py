"""The TikTok SKU catalogue: one full read, then only products updated since (from the
emulator's recorded Search Products calls), a full read again after a day."""

import json
from datetime import timedelta

from storage import queries
from sync.stock_push.catalog import Catalog

SEARCH = "/product/202309/products/search"


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def searches(shops) -> list[dict]:
    return [json.loads(c.body or b"{}") for c in shops.tiktok.calls if c.path == SEARCH]


def stored(core) -> dict:
    with core.services.sessions() as session:
        rows = queries.tiktok_skus(session, shop_id=core.services.shop_id)
    return {row.sku_id: row for row in rows}


def test_a_full_read_then_incremental_reads_then_a_daily_full_read(core, shops):
    clock = Clock(core.services.clock())
    catalog = Catalog(
        sessions=core.services.sessions,
        shop_id=core.services.shop_id,
        tiktok=core.tiktok,
        clock=clock,
    )
    first = catalog.refresh()
    skus = stored(core)
    products = shops.tiktok.products()
    assert first.full and first.products == len(products)
    assert set(skus) == {sku["id"] for p in products for sku in p["skus"]}
    split = next(row for row in skus.values() if len(json.loads(row.warehouses)) == 2)
    assert split.quantity == sum(
        entry["quantity"]
        for p in products
        for sku in p["skus"]
        if sku["id"] == split.sku_id
        for entry in sku["inventory"]
    )
    assert "update_time_ge" not in searches(shops)[-1] and "status" not in searches(shops)[-1]

    product = products[0]
    shops.tiktok.set_product_status(product["id"], "SELLER_DEACTIVATED")
    shops.tiktok.reset_calls()
    clock.now += timedelta(minutes=5)
    second = catalog.refresh()

    assert not second.full and second.calls == 1
    newest = max(p["update_time"] for p in products)
    assert searches(shops)[-1]["update_time_ge"] == newest - 120  # less the overlap
    changed = [row for row in stored(core).values() if row.product_id == product["id"]]
    assert changed and all(row.product_status == "SELLER_DEACTIVATED" for row in changed)

    clock.now += timedelta(days=1)
    assert catalog.refresh().full
