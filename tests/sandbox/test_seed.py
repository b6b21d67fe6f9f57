"""The seed catalog: deterministic, fast, and holding every case SPEC §3 names."""

from collections import Counter
from decimal import Decimal

import pytest

from sandbox.seed import make_catalog

CATALOG = make_catalog(seed=1, n_listings=40)


def products_with(sku: str) -> list[tuple[dict, dict]]:
    return [
        (item, p)
        for item in CATALOG.listings
        for p in item["inventory"]["products"]
        if p["sku"] == sku
    ]


def quantity(product: dict) -> int:
    return product["offerings"][0]["quantity"]


def test_same_seed_same_catalog_other_seed_other_catalog():
    assert make_catalog(seed=1, n_listings=40) == CATALOG
    assert make_catalog(seed=2, n_listings=40).listings != CATALOG.listings


def test_five_thousand_listings_have_distinct_ids():
    # Build speed is a benchmark's business (bench/), not a timed test's.
    catalog = make_catalog(seed=4, n_listings=5000)
    assert len(catalog.listings) == 5000
    assert len({item["listing_id"] for item in catalog.listings}) == 5000


def test_too_few_listings_for_the_staged_cases_is_refused():
    with pytest.raises(ValueError):
        make_catalog(n_listings=3)


def test_woodthing_skus_sit_on_several_products_with_one_quantity():
    wood_id = CATALOG.case_listings["shared_sku_same_qty"][0]
    wood = next(item for item in CATALOG.listings if item["listing_id"] == wood_id)
    assert wood["inventory"]["quantity_on_property"] == wood["inventory"]["sku_on_property"]
    for sku in CATALOG.cases["shared_sku_same_qty"]:
        found = products_with(sku)
        assert len(found) == 3 and {quantity(p) for _, p in found} == {quantity(found[0][1])}
    assert {quantity(p) for _, p in products_with("woodthing3")} == {33}


def test_ambiguous_cases_are_really_ambiguous():
    (dup,) = CATALOG.cases["ambiguous_listings"]
    assert len({item["listing_id"] for item, _ in products_with(dup)}) == 2
    (mixed,) = CATALOG.cases["ambiguous_quantities"]
    found = products_with(mixed)
    assert len({item["listing_id"] for item, _ in found}) == 1
    assert len({quantity(p) for _, p in found}) == len(found) > 1


def test_sold_out_listing_is_still_sold_on_tiktok():
    (sku,) = CATALOG.cases["sold_out"]
    ((listing, product),) = products_with(sku)
    assert listing["state"] == "sold_out" and quantity(product) == 0
    assert sku in {row["seller_sku"] for row in CATALOG.tiktok_skus}


def test_empty_sku_unmatched_and_mappable():
    (print_id,) = CATALOG.case_listings["empty_sku"]
    prints = next(item for item in CATALOG.listings if item["listing_id"] == print_id)
    assert [p["sku"] for p in prints["inventory"]["products"]].count(None) == 1
    etsy_skus = {p["sku"] for item in CATALOG.listings for p in item["inventory"]["products"]}
    tiktok_skus = {row["seller_sku"] for row in CATALOG.tiktok_skus}
    for sku in CATALOG.cases["unmatched"]:
        assert sku in tiktok_skus and sku not in etsy_skus
    for tiktok_sku, etsy_sku in CATALOG.suggested_maps.items():
        assert tiktok_sku in CATALOG.cases["mappable"] and etsy_sku in etsy_skus


def test_shared_quantity_pool_has_one_sku_per_product_and_one_quantity():
    (pool_id,) = CATALOG.case_listings["shared_quantity_pool"]
    pool = next(item for item in CATALOG.listings if item["listing_id"] == pool_id)
    inventory = pool["inventory"]
    (prop,) = inventory["sku_on_property"]  # the property drives SKU ...
    assert inventory["quantity_on_property"] == []  # ... but not quantity (§7.2 rules 4-5)
    varied = {pv["property_id"] for p in inventory["products"] for pv in p["property_values"]}
    assert varied == {prop}
    skus = CATALOG.cases["shared_quantity_pool"]
    assert sorted(p["sku"] for p in inventory["products"]) == sorted(skus) and len(skus) >= 2
    for sku in skus:
        assert [item["listing_id"] for item, _ in products_with(sku)] == [pool_id]
    (shared,) = {quantity(p) for p in inventory["products"]}
    assert shared >= 3
    sold = {row["seller_sku"]: row for row in CATALOG.tiktok_skus}
    assert all(sku in sold for sku in skus)
    assert len({sold[sku]["product_id"] for sku in skus}) == 1  # one TikTok product, two SKUs
    pooled = "shared_quantity_pool"
    others = {sku for case, found in CATALOG.cases.items() if case != pooled for sku in found}
    assert not others & set(skus)  # "unique" and the kinds never hand out a pooled SKU


@pytest.mark.parametrize(("seed", "n"), [(1, 40), (7, 12), (4, 5000)])
def test_the_pool_comes_last_and_the_older_cases_keep_their_skus(seed, n):
    catalog = make_catalog(seed=seed, n_listings=n)
    assert catalog.case_listings["shared_quantity_pool"] == [catalog.listings[-1]["listing_id"]]
    assert catalog.case_listings["sold_out"] == [1_500_000_002]
    assert catalog.cases["low_stock"][0] == "BOWL-LOW"
    assert catalog.cases["shared_sku_same_qty"] == ["woodthing1", "woodthing2", "woodthing3"]
    named = {"DUP-MUG", "CANDLE-SOY", "BOWL-LOW", "PIN-SOLDOUT", "woodthing3"}
    assert named <= {p["sku"] for item in catalog.listings for p in item["inventory"]["products"]}
    assert {"TT-TOTE-CANVAS", "TT-GHOST-1"} <= set(catalog.cases["unmatched"])
    assert catalog.cases["unique"] and len(catalog.listings) == n


def test_variation_kinds_are_present():
    for kind in ("simple", "one_property", "two_properties", "custom_properties"):
        assert CATALOG.cases[kind], kind
    custom = {
        pv["property_id"]
        for sku in CATALOG.cases["custom_properties"]
        for _, p in products_with(sku)
        for pv in p["property_values"]
    }
    assert custom <= {513, 514} and custom


def test_quantities_are_mostly_5_to_50_with_a_little_short_stock():
    catalog = make_catalog(seed=1, n_listings=400)
    counts = [
        quantity(p)
        for item in catalog.listings
        if item["state"] == "active"
        for p in item["inventory"]["products"]
    ]
    in_range = sum(5 <= q <= 50 for q in counts)
    assert in_range / len(counts) > 0.8
    assert any(q in (1, 2) for q in counts)
    for sku in catalog.cases["low_stock"]:
        assert sku in catalog.cases["unique"]


def test_unique_skus_match_one_product_on_an_active_listing():
    uses = Counter(p["sku"] for item in CATALOG.listings for p in item["inventory"]["products"])
    for sku in CATALOG.cases["unique"]:
        ((listing, product),) = products_with(sku)
        assert uses[sku] == 1 and listing["state"] == "active" and quantity(product) >= 1


def test_prices_are_money_and_tiktok_rows_carry_decimal_strings():
    for item in CATALOG.listings:
        for p in item["inventory"]["products"]:
            assert set(p["offerings"][0]["price"]) == {"amount", "divisor", "currency_code"}
            assert p["offerings"][0]["price"]["divisor"] == 100
    fields = {"seller_sku", "sku_id", "product_id", "product_name", "sku_name", "price", "currency"}
    for row in CATALOG.tiktok_skus:
        assert set(row) == fields and row["currency"] == "USD"
        assert Decimal(row["price"]) > 0 and row["price"] == f"{Decimal(row['price']):.2f}"
    assert len({row["sku_id"] for row in CATALOG.tiktok_skus}) == len(CATALOG.tiktok_skus)
    ((_, mug),) = products_with("BOWL-LOW")
    row = next(row for row in CATALOG.tiktok_skus if row["seller_sku"] == "BOWL-LOW")
    assert Decimal(row["price"]) == Decimal(mug["offerings"][0]["price"]["amount"]) / 100
