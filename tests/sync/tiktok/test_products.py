"""TikTokClient's product and stock calls: against the emulators seeded from one catalog
(contract), and with httpx.MockTransport for retries and odd answers."""

from decimal import Decimal

import pytest

from sandbox.marketplaces import Marketplaces
from sync.tiktok import (
    ProductStatus,
    SkuInventory,
    WarehouseQuantity,
    WarehouseType,
)
from tests.utils.clients import tiktok_client as make_client
from tests.utils.fakes import FakeApi
from tests.utils.tiktok_answers import http, ok
from tests.utils.tiktok_sandbox_client import sandbox_client

MAIN, OVERFLOW = "7293046219938309931", "7293046219938309932"
UPDATE = "/product/202309/products/p-1/inventory/update"
SEARCH = "/product/202309/products/search"


@pytest.fixture
def shops():
    with Marketplaces(tiktok_options={"rate_per_s": 1000}) as running:
        yield running


@pytest.fixture
def client(shops):
    client = sandbox_client(shops.tiktok)
    yield client
    client.close()


def every_sku(client) -> dict:
    return {
        sku.seller_sku: (product, sku)
        for page in client.search_products(page_size=25)
        for product in page.products
        for sku in product.skus
    }


def test_search_products_reads_every_sku_with_its_stock(client, shops):
    found = every_sku(client)
    assert set(found) == {row["seller_sku"] for row in shops.catalog.tiktok_skus}
    product, sku = found[shops.catalog.cases["unique"][0]]
    assert product.status is ProductStatus.ACTIVATE and product.create_time.tzinfo
    assert isinstance(sku.price, Decimal) and sku.currency == "USD"
    split = found[shops.catalog.cases["two_warehouses"][0]][1]
    assert {entry.warehouse_id for entry in split.stock} == {MAIN, OVERFLOW}
    assert split.quantity == sum(entry.quantity for entry in split.stock)


def test_more_than_ten_seller_skus_are_searched_ten_at_a_time(client, shops):
    wanted = shops.catalog.cases["unique"][:12]
    shops.tiktok.reset_calls()
    pages = list(client.search_products(seller_skus=wanted))
    held = {sku.seller_sku for page in pages for product in page.products for sku in product.skus}
    assert set(wanted) <= held
    searches = [call for call in shops.tiktok.calls if call.path == SEARCH]
    assert len(searches) == 2
    assert list(client.search_products(seller_skus=[])) == []


def test_update_inventory_sets_every_warehouse_and_reports_failed_skus(client, shops):
    found = every_sku(client)
    product, sku = found[shops.catalog.cases["two_warehouses"][0]]
    both = SkuInventory(sku.id, (WarehouseQuantity(MAIN, 6), WarehouseQuantity(OVERFLOW, 0)))
    result = client.update_inventory(product.id, [both])
    assert result.failed == () and result.ok(sku.id)
    (stock,) = client.inventory_search(sku_ids=[sku.id])
    assert (stock.available, stock.committed) == (6, 0)
    assert {(w.warehouse_id, w.available) for w in stock.warehouses} == {(MAIN, 6), (OVERFLOW, 0)}

    half = SkuInventory(sku.id, (WarehouseQuantity(MAIN, 9),))
    (failure,) = client.update_inventory(product.id, [half]).failed
    assert failure.sku_id == sku.id and failure.code == 12052990
    assert [(w.warehouse_id, w.code) for w in failure.warehouses] == [(OVERFLOW, 12052037)]
    (kept,) = [s for s in client.get_product(product.id).skus if s.id == sku.id]
    assert kept.quantity == 6  # the failed SKU was left as it was


def test_inventory_search_by_product_shows_what_orders_commit(client, shops):
    found = every_sku(client)
    product, sku = found[shops.catalog.cases["unique"][0]]
    before = sku.quantity
    shops.tiktok.add_order(skus=[sku.seller_sku])
    stocks = {s.sku_id: s for s in client.inventory_search(product_ids=[product.id])}
    assert (stocks[sku.id].available, stocks[sku.id].committed) == (before - 1, 1)
    assert client.inventory_search() == []


def test_warehouses(client):
    warehouses = {w.id: w for w in client.warehouses()}
    assert warehouses[MAIN].is_default and warehouses[MAIN].type is WarehouseType.SALES_WAREHOUSE
    assert WarehouseType.RETURN_WAREHOUSE in {w.type for w in warehouses.values()}


def test_update_inventory_is_retried_with_the_same_absolute_quantities():
    api = FakeApi({UPDATE: [http(500), ok({})]})
    client, time, _ = make_client(api)
    result = client.update_inventory("p-1", [SkuInventory("s-1", (WarehouseQuantity("w-1", 3),))])
    assert result.failed == ()
    assert len(api.requests) == 2 and time.sleeps == [0.5]
    assert {request.content for request in api.requests} == {
        b'{"skus":[{"id":"s-1","inventory":[{"warehouse_id":"w-1","quantity":3}]}]}'
    }


def test_update_inventory_takes_one_to_a_hundred_skus():
    api = FakeApi({UPDATE: [ok({})]})
    client, _, _ = make_client(api)
    many = [SkuInventory(f"s-{n}", (WarehouseQuantity("w-1", 1),)) for n in range(101)]
    for skus in ([], many):
        with pytest.raises(ValueError):
            client.update_inventory("p-1", skus)
    assert api.requests == []


def test_an_odd_product_is_skipped_and_an_unknown_status_kept(caplog):
    odd = {"id": "p-2", "status": "ACTIVATE", "skus": [{"id": "s-2", "inventory": [{}]}]}
    new = {"id": "p-1", "status": "PARKED", "skus": []}
    api = FakeApi({SEARCH: [ok({"products": [new, odd], "next_page_token": ""})]})
    client, _, _ = make_client(api)
    (page,) = client.search_products()
    assert [p.id for p in page.products] == ["p-1"] and page.skipped == ("p-2",)
    assert page.products[0].status is ProductStatus.UNKNOWN
    assert "product p-2 skipped" in caplog.text
