"""The TikTok emulator's products, stock and warehouses (§18), seeded from the shared catalog."""

import httpx
import pytest

from sandbox.marketplaces import Marketplaces
from tests.utils.tiktok_signed import Client

SEARCH = "/product/202309/products/search"
PRODUCT = "/product/202309/products/{}"
UPDATE = "/product/202309/products/{}/inventory/update"
INVENTORY = "/product/202309/inventory/search"
WAREHOUSES = "/logistics/202309/warehouses"
MAIN, OVERFLOW, RETURNS = "7293046219938309931", "7293046219938309932", "7293046219938309940"


@pytest.fixture
def shops():
    with Marketplaces(tiktok_options={"rate_per_s": 1000}) as running:
        yield running


@pytest.fixture
def client(shops):
    client = Client(shops.tiktok, shops.tiktok.issue_tokens()["access_token"])
    yield client
    client.http.close()


def code(response: httpx.Response) -> int:
    return response.json()["code"]


def by_seller_sku(shops) -> dict[str, tuple[dict, dict]]:
    return {sku["seller_sku"]: (p, sku) for p in shops.tiktok.products() for sku in p["skus"]}


def single(shops) -> tuple[dict, dict]:
    """A product and one of its SKUs held in one warehouse."""
    return next(
        (p, sku)
        for p, sku in by_seller_sku(shops).values()
        if len(sku["inventory"]) == 1 and sku["seller_sku"] in shops.catalog.cases["unique"]
    )


def split(shops) -> tuple[dict, dict]:
    return by_seller_sku(shops)[shops.catalog.cases["two_warehouses"][1]]


def update(client, product_id: str, skus: list[dict]) -> httpx.Response:
    return client.call("POST", UPDATE.format(product_id), body={"skus": skus})


def stock(client, sku_id: str) -> dict[str, int]:
    (entry,) = client.ok("POST", INVENTORY, body={"sku_ids": [sku_id]})["inventory"]
    (found,) = entry["skus"]
    return {w["warehouse_id"]: w["available_quantity"] for w in found["warehouse_inventory"]}


def test_the_tiktok_catalog_is_the_etsy_catalog_plus_its_own_skus(shops):
    etsy = {}
    for (_, sku, _), quantity in shops.etsy.quantities().items():
        if sku:
            etsy.setdefault(sku, quantity)
    tiktok = by_seller_sku(shops)
    assert set(tiktok) - set(etsy) == set(shops.catalog.cases["unmatched"])
    assert set(etsy) - set(tiktok) == {"TOTE-CANVAS"}  # sold on TikTok as TT-TOTE-CANVAS
    for case in ("ambiguous_listings", "ambiguous_quantities", "shared_quantity_pool"):
        assert set(shops.catalog.cases[case]) <= set(tiktok), case
    for sku in shops.catalog.cases["unique"]:
        held = sum(row["quantity"] for row in tiktok[sku][1]["inventory"])
        assert held == etsy[sku], sku
    for sku in shops.catalog.cases["two_warehouses"]:
        assert {row["warehouse_id"] for row in tiktok[sku][1]["inventory"]} == {MAIN, OVERFLOW}


def test_search_products_pages_and_filters(client, shops):
    products = shops.tiktok.products()
    seen, token = [], ""
    while True:
        query = {"page_size": "30", **({"page_token": token} if token else {})}
        page = client.ok("POST", SEARCH, query, {"status": "ACTIVATE"})
        assert page["total_count"] == len(products)
        seen += [p["id"] for p in page["products"]]
        token = page["next_page_token"]
        if not token:
            break
    assert sorted(seen) == sorted(p["id"] for p in products)
    pool_sku = shops.catalog.cases["shared_quantity_pool"][0]
    (found,) = client.ok("POST", SEARCH, {"page_size": "10"}, {"seller_skus": [pool_sku]})[
        "products"
    ]
    assert pool_sku in {sku["seller_sku"] for sku in found["skus"]} and len(found["skus"]) >= 2
    too_many = {"seller_skus": [f"S{n}" for n in range(11)]}
    assert code(client.call("POST", SEARCH, {"page_size": "10"}, too_many)) == 12019027
    assert code(client.call("POST", SEARCH, {}, {})) == 12019109


def test_get_product_and_unknown_products(client, shops):
    product, sku = single(shops)
    detail = client.ok("GET", PRODUCT.format(product["id"]))
    assert detail["status"] == "ACTIVATE" and detail["title"] == product["title"]
    (shown,) = [s for s in detail["skus"] if s["id"] == sku["id"]]
    assert shown["inventory"] == sku["inventory"] and shown["price"]["currency"] == "USD"
    assert code(client.call("GET", PRODUCT.format("1"))) == 12052032


def test_update_inventory_sets_each_warehouse(client, shops):
    product, sku = single(shops)
    (row,) = sku["inventory"]
    before = client.ok("GET", PRODUCT.format(product["id"]))["update_time"]
    shops.tiktok.clock.advance(5)
    answer = update(
        client, product["id"], [{"id": sku["id"], "inventory": [{**row, "quantity": 7}]}]
    )
    assert answer.json() == {**answer.json(), "code": 0, "data": {}}
    assert stock(client, sku["id"]) == {row["warehouse_id"]: 7}
    assert client.ok("GET", PRODUCT.format(product["id"]))["update_time"] >= before + 5


def test_a_sku_must_list_every_warehouse_it_has(client, shops):
    product, sku = split(shops)
    before = stock(client, sku["id"])
    only_main = [{"id": sku["id"], "inventory": [{"warehouse_id": MAIN, "quantity": 4}]}]
    answer = update(client, product["id"], only_main).json()
    assert answer["code"] == 0
    (error,) = answer["data"]["errors"]  # the reference's partial-failure shape (§18.1)
    assert (error["code"], error["message"]) == (12052990, "Check failed")
    assert set(error["detail"]) == {"sku_id", "extra_errors"}
    assert error["detail"]["sku_id"] == sku["id"]
    (extra,) = error["detail"]["extra_errors"]
    assert set(extra) == {"warehouse_id", "code", "message"}
    assert (extra["warehouse_id"], extra["code"]) == (OVERFLOW, 12052037)
    assert stock(client, sku["id"]) == before
    unnamed = [{"id": sku["id"], "inventory": [{"quantity": 4}, {"quantity": 0}]}]
    assert code(update(client, product["id"], unnamed)) == 12019028
    both = [{"warehouse_id": MAIN, "quantity": 4}, {"warehouse_id": OVERFLOW, "quantity": 0}]
    assert (
        update(client, product["id"], [{"id": sku["id"], "inventory": both}]).json()["data"] == {}
    )
    assert stock(client, sku["id"]) == {MAIN: 4, OVERFLOW: 0}


def test_one_bad_sku_fails_alone(client, shops):
    product = next(p for p in shops.tiktok.products() if len(p["skus"]) >= 2)
    good, bad = product["skus"][:2]
    skus = [
        {"id": good["id"], "inventory": [{**row, "quantity": 3} for row in good["inventory"]]},
        {
            "id": bad["id"],
            "inventory": [{"warehouse_id": "42", "quantity": 3}]
            + [{**row, "quantity": 3} for row in bad["inventory"]],
        },
    ]
    before = stock(client, bad["id"])
    (error,) = update(client, product["id"], skus).json()["data"]["errors"]
    assert error["detail"]["sku_id"] == bad["id"]
    assert [(e["warehouse_id"], e["code"]) for e in error["detail"]["extra_errors"]] == [
        ("42", 12052097)
    ]
    assert set(stock(client, good["id"]).values()) == {3}
    assert stock(client, bad["id"]) == before


def test_quantities_outside_the_limits_fail_per_sku_and_zero_is_a_setting(client, shops):
    product, sku = single(shops)
    (row,) = sku["inventory"]

    def set_to(quantity):
        skus = [{"id": sku["id"], "inventory": [{**row, "quantity": quantity}]}]
        errors = update(client, product["id"], skus).json()["data"].get("errors", [])
        return [e["code"] for error in errors for e in error["detail"]["extra_errors"]]

    assert set_to(100_000) == [12052055]
    assert set_to(0) == [] and stock(client, sku["id"]) == {row["warehouse_id"]: 0}
    with httpx.Client(base_url=shops.tiktok.url + "/_sandbox", timeout=5) as control:
        assert control.post("/stock_config", json={"zero_quantity": "reject"}).status_code == 200
        assert control.post("/stock_config", json={"zero_quantity": "maybe"}).status_code == 400
    assert set_to(0) == [12052055]
    assert set_to(2) == [] and stock(client, sku["id"]) == {row["warehouse_id"]: 2}


def test_malformed_updates_are_refused_whole(client, shops):
    product, sku = single(shops)
    other_product, other_sku = next(
        (p, s) for p, s in by_seller_sku(shops).values() if p["id"] != product["id"]
    )
    row = sku["inventory"][0]
    entry = {"id": sku["id"], "inventory": [row]}
    cases = [
        ("1", [entry], 12052032),
        (product["id"], [], 12052902),
        (product["id"], [{"inventory": [row]}], 12052036),
        (product["id"], [entry, entry], 12052553),
        (product["id"], [{"id": other_sku["id"], "inventory": [row]}], 12052556),
        (product["id"], [{"id": sku["id"], "inventory": []}], 12019022),
        (product["id"], [{"id": sku["id"], "inventory": [{**row, "quantity": "5"}]}], 12019024),
    ]
    before = [p["skus"] for p in shops.tiktok.products()]
    for product_id, skus, expected in cases:
        assert code(update(client, product_id, skus)) == expected, (skus, expected)
    shops.tiktok.set_product_status(other_product["id"], "SELLER_DEACTIVATED")
    other_entry = {"id": other_sku["id"], "inventory": other_sku["inventory"]}
    assert code(update(client, other_product["id"], [other_entry])) == 12052901
    assert [p["skus"] for p in shops.tiktok.products()] == before


def test_update_inventory_is_signed_and_shop_scoped(client, shops):
    product, sku = single(shops)
    body = {"skus": [{"id": sku["id"], "inventory": sku["inventory"]}]}
    forged = client.call("POST", UPDATE.format(product["id"]), body=body, send_body=b'{"skus":[]}')
    assert (forged.status_code, code(forged)) == (401, 106001)
    no_cipher = client.call("POST", UPDATE.format(product["id"]), body=body, cipher=False)
    assert code(no_cipher) == 106013


def test_inventory_search_and_orders_committing_stock(client, shops):
    product, sku = single(shops)
    (row,) = sku["inventory"]
    both = client.ok(
        "POST", INVENTORY, body={"product_ids": [product["id"]], "sku_ids": [sku["id"]]}
    )
    assert [s["id"] for entry in both["inventory"] for s in entry["skus"]] == [sku["id"]]
    by_product = client.ok("POST", INVENTORY, body={"product_ids": [product["id"]]})["inventory"]
    assert {s["id"] for s in by_product[0]["skus"]} == {s["id"] for s in product["skus"]}
    assert code(client.call("POST", INVENTORY, body={})) == 12019008
    assert code(client.call("POST", INVENTORY, body={"sku_ids": ["1"] * 601})) == 12019015

    held = row["quantity"]
    order_id = shops.tiktok.add_order(skus=[sku["seller_sku"]])["id"]
    (shown,) = client.ok("POST", INVENTORY, body={"sku_ids": [sku["id"]]})["inventory"][0]["skus"]
    assert (shown["total_available_quantity"], shown["total_committed_quantity"]) == (held - 1, 1)
    shops.tiktok.system_cancel(order_id, "package_lost")
    assert shops.tiktok.inventory(sku["id"])["total_available_quantity"] == held
    shipped = shops.tiktok.add_order(skus=[sku["seller_sku"]], status="AWAITING_COLLECTION")
    assert shipped["status"] == "AWAITING_COLLECTION"
    after = shops.tiktok.inventory(sku["id"])
    assert (after["total_available_quantity"], after["total_committed_quantity"]) == (held - 1, 0)


def test_warehouses_are_listed(client):
    warehouses = client.ok("GET", WAREHOUSES)["warehouses"]
    assert {(w["id"], w["type"]) for w in warehouses} == {
        (MAIN, "SALES_WAREHOUSE"),
        (OVERFLOW, "SALES_WAREHOUSE"),
        (RETURNS, "RETURN_WAREHOUSE"),
    }
    assert [w["id"] for w in warehouses if w["is_default"]] == [MAIN]


def test_a_return_warehouse_is_no_place_for_stock(client, shops):
    product, sku = single(shops)
    rows = [*sku["inventory"], {"warehouse_id": RETURNS, "quantity": 1}]
    (error,) = update(client, product["id"], [{"id": sku["id"], "inventory": rows}]).json()["data"][
        "errors"
    ]
    assert [e["code"] for e in error["detail"]["extra_errors"]] == [12052532]


def test_product_controls_over_http(shops):
    product, sku = single(shops)
    with httpx.Client(base_url=shops.tiktok.url + "/_sandbox", timeout=5) as control:
        listed = control.get("/products").json()["products"]
        assert product["id"] in {p["id"] for p in listed}
        status = control.post(f"/products/{product['id']}/status", json={"status": "FREEZE"})
        assert status.json()["status"] == "FREEZE"
        assert (
            control.post(f"/products/{product['id']}/status", json={"status": "X"}).status_code
            == 400
        )
        assert control.get(f"/inventory/{sku['id']}").json()["id"] == sku["id"]
        stocked = control.put("/stock", json={sku["id"]: [{"warehouse_id": MAIN, "quantity": 9}]})
        assert stocked.status_code == 200
        assert (
            control.put(
                "/stock", json={sku["id"]: [{"warehouse_id": "42", "quantity": 9}]}
            ).status_code
            == 400
        )
    assert shops.tiktok.inventory(sku["id"])["total_available_quantity"] == 9
    shops.tiktok.set_product_status(product["id"], "ACTIVATE")
