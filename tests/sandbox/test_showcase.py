"""The demo's showcase: pure, from the catalog, an order for every stage a newcomer should see."""

from sandbox.seed import LATER, MAPPABLE, SHOWCASE, make_catalog, showcase_orders

CATALOG = make_catalog(seed=1, n_listings=40)


def test_the_showcase_is_pure_and_sells_skus_the_catalog_has():
    orders = showcase_orders(CATALOG, now=1_800_000_000)
    assert orders == showcase_orders(make_catalog(seed=1, n_listings=40), now=1_800_000_000)
    sold = {row["seller_sku"] for row in CATALOG.tiktok_skus}
    for spec, staged in orders:
        assert set(spec["skus"]) <= sold and spec["create_time"] <= 1_800_000_000
        assert staged.later is None or staged.later in LATER
    plain = [spec["skus"][0] for spec, staged in orders if not staged.sku]
    assert len(set(plain)) == len(plain)  # each on a SKU of its own: no order starves another
    assert not set(plain) & set(CATALOG.cases["low_stock"])


def test_every_stage_is_staged():
    statuses = {staged.status for staged in SHOWCASE}
    assert {"AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED", "ON_HOLD"} <= statuses
    assert any(s.fulfilment == "FULFILLMENT_BY_TIKTOK" for s in SHOWCASE)
    assert any(s.then == "buyer_cancel" for s in SHOWCASE)  # cancelled before placing
    assert {s.later for s in SHOWCASE} >= {"buyer_cancel", "lost"}  # after placing
    assert any(s.sku == MAPPABLE[0] for s in SHOWCASE)  # failed until mapped
