"""The Etsy emulator's stock controls: an Etsy-side sale and a seller's stock edit, each seen
through the Open API as a real one would be (quantity and `last_modified_timestamp`)."""

import httpx
import pytest

from sandbox.etsy import EtsySandbox
from sandbox.seed import make_catalog

KEY = "sandboxkeystring:sandboxsecret"
CATALOG = make_catalog(seed=1, n_listings=40)
UNIQUE = next(  # one product on its listing, with stock to sell
    sku
    for sku in CATALOG.cases["unique"]
    if sku in CATALOG.cases["simple"] and sku not in CATALOG.cases["low_stock"]
)
POOL = CATALOG.case_listings["shared_quantity_pool"][0]
CANDLES = CATALOG.case_listings["ambiguous_quantities"][0]
SOLD_OUT = CATALOG.case_listings["sold_out"][0]


def listing_of(sku: str) -> int:
    return next(
        item["listing_id"]
        for item in CATALOG.listings
        for p in item["inventory"]["products"]
        if p["sku"] == sku
    )


@pytest.fixture
def etsy():
    with EtsySandbox() as sandbox:
        sandbox.load_catalog(CATALOG.listings)
        yield sandbox


@pytest.fixture
def control(etsy):
    with httpx.Client(base_url=etsy.url + "/_sandbox", timeout=5) as client:
        yield client


def seen_by_api(etsy: EtsySandbox, listing_id: int) -> dict:
    token = etsy.issue_tokens()["access_token"]
    headers = {"x-api-key": KEY, "authorization": f"Bearer {token}"}
    with httpx.Client(base_url=etsy.url, headers=headers) as api:
        response = api.get(
            f"/v3/application/listings/{listing_id}", params={"includes": "Inventory"}
        )
    assert response.status_code == 200, response.text
    return response.json()


def product_ids(listing: dict) -> list[int]:
    return [p["product_id"] for p in listing["inventory"]["products"]]


def test_a_sale_lowers_the_quantity_and_moves_last_modified(etsy, control):
    listing_id = listing_of(UNIQUE)
    before = seen_by_api(etsy, listing_id)
    etsy.clock.advance(120)
    sold = control.post(f"/listings/{listing_id}/sale", json={"sku": UNIQUE, "units": 2})
    assert sold.status_code == 200, sold.text
    after = seen_by_api(etsy, listing_id)
    assert after["quantity"] == before["quantity"] - 2
    assert after["last_modified_timestamp"] >= before["last_modified_timestamp"] + 120
    assert product_ids(after) == product_ids(before)  # a sale is not an inventory update


def test_selling_the_last_units_sells_the_listing_out(etsy, control):
    listing_id = listing_of(UNIQUE)
    left = etsy.listing(listing_id)["quantity"]  # one product: the listing's quantity is its
    refused = control.post(f"/listings/{listing_id}/sale", json={"sku": UNIQUE, "units": left + 1})
    assert refused.status_code == 409 and etsy.listing(listing_id)["quantity"] == left
    control.post(f"/listings/{listing_id}/sale", json={"sku": UNIQUE, "units": left})
    assert (etsy.listing(listing_id)["quantity"], etsy.listing(listing_id)["state"]) == (
        0,
        "sold_out",
    )
    again = control.post(f"/listings/{listing_id}/sale", json={"sku": UNIQUE})
    assert again.status_code == 400


def test_a_sale_from_a_shared_quantity_moves_every_product_of_it(etsy, control):
    red, blue = CATALOG.cases["shared_quantity_pool"][:2]
    before = {sku: q for (lid, sku, _), q in etsy.quantities().items() if lid == POOL}
    control.post(f"/listings/{POOL}/sale", json={"sku": red})
    after = {sku: q for (lid, sku, _), q in etsy.quantities().items() if lid == POOL}
    assert after == {red: before[red] - 1, blue: before[blue] - 1}


def test_a_sku_with_quantities_of_its_own_needs_the_product_named(etsy, control):
    (sku,) = CATALOG.cases["ambiguous_quantities"]
    unnamed = control.post(f"/listings/{CANDLES}/sale", json={"sku": sku})
    assert unnamed.status_code == 400
    listing = etsy.listing(CANDLES)
    first = listing["inventory"]["products"][0]
    properties = [[pv["property_id"], pv["values"][0]] for pv in first["property_values"]]
    named = {"sku": sku, "properties": properties}
    assert control.post(f"/listings/{CANDLES}/sale", json=named).status_code == 200
    levels = [p["offerings"][0]["quantity"] for p in etsy.listing(CANDLES)["inventory"]["products"]]
    old = [p["offerings"][0]["quantity"] for p in listing["inventory"]["products"]]
    assert levels == [old[0] - 1, *old[1:]]


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/listings/1/sale", {"sku": UNIQUE}, 404),
        ("/listings/x/sale", {"sku": UNIQUE}, 404),
        (f"/listings/{SOLD_OUT}/sale", {"sku": "PIN-SOLDOUT"}, 400),
        (f"/listings/{POOL}/sale", {"sku": "NOPE"}, 404),
        (f"/listings/{POOL}/sale", {"sku": "MUG-POOL-RED", "units": 0}, 400),
    ],
)
def test_bad_sales_are_refused_and_change_nothing(etsy, control, path, body, status):
    before = etsy.quantities()
    assert control.post(path, json=body).status_code == status
    assert etsy.quantities() == before


def test_a_stock_edit_sets_the_quantity_and_moves_last_modified(etsy, control):
    listing_id = listing_of(UNIQUE)
    before = seen_by_api(etsy, listing_id)
    etsy.clock.advance(60)
    edited = control.post(f"/listings/{listing_id}/quantity", json={"sku": UNIQUE, "quantity": 41})
    assert edited.status_code == 200
    after = seen_by_api(etsy, listing_id)
    assert after["quantity"] == 41
    assert after["last_modified_timestamp"] >= before["last_modified_timestamp"] + 60
