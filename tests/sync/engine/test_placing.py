"""Placing a fetch's pending orders: one inventory write per listing touched, however many
orders and chunks, and no order's units taken twice."""

import re

import pytest

from storage import queries
from storage.db import transaction
from storage.states import FailureReason, Placement
from sync.engine import Engine, EngineError
from tests.utils.catalog import stock, unique_skus

INVENTORY_PUT = re.compile(r"^/v3/application/listings/\d+/inventory$")
READS = re.compile(r"^/v3/application/listings/(\d+/inventory|batch)$")


def small_chunks(core, batch_size: int) -> Engine:
    services = core.services
    return Engine(
        sessions=services.sessions,
        shop_id=services.shop_id,
        tiktok=core.tiktok,
        etsy=core.etsy,
        batch_size=batch_size,
    )


def test_many_orders_over_a_few_listings_make_one_write_per_listing(core, shops):
    skus = unique_skus(shops, 4, at_least=6)
    listings = {lid for (lid, sku, _), _q in shops.etsy.quantities().items() if sku in skus}
    before = {sku: stock(shops, sku) for sku in skus}
    orders = [shops.tiktok.add_order(skus=[skus[i % 4]])["id"] for i in range(20)]
    engine = small_chunks(core, batch_size=3)  # seven chunks
    shops.etsy.reset_calls()

    summary = engine.fetch()

    assert summary.error is None and summary.placed == 20
    calls = [c for c in shops.etsy.calls if c.status == 200]
    puts = [c for c in calls if c.method == "PUT" and INVENTORY_PUT.match(c.path)]
    reads = [c for c in calls if c.method == "GET" and READS.match(c.path)]
    assert sorted(c.path for c in puts) == sorted(
        f"/v3/application/listings/{listing}/inventory" for listing in listings
    )
    assert len(reads) <= len(puts)
    assert {sku: stock(shops, sku) for sku in skus} == {sku: before[sku] - 5 for sku in skus}
    assert {engine.order(order_id).placement for order_id in orders} == {"placed"}


def test_an_order_whose_units_are_still_held_is_not_retried_into_taking_them_twice(core, shops):
    (sku,) = unique_skus(shops, 1)
    before = stock(shops, sku)
    tiktok_id = shops.tiktok.add_order(skus=[sku])["id"]
    engine = core.services.engine
    assert engine.fetch().placed == 1
    # As a failure whose units were not given back yet leaves it (a crash, Etsy down).
    with transaction(core.services.sessions) as session:
        order = queries.order_by_tiktok_id(
            session, shop_id=core.services.shop_id, tiktok_order_id=tiktok_id
        )
        assert queries.move_placement(
            session, order_id=order.id, expected=(Placement.PLACED,), to=Placement.FAILED
        )
        order.failure_reason = FailureReason.ETSY_ERROR

    with pytest.raises(EngineError, match="still has units reserved"):
        engine.retry(tiktok_id, actor="U1")

    assert stock(shops, sku) == before - 1
    engine.fetch()  # gives them back; then a retry places the order again, once
    assert stock(shops, sku) == before
    assert engine.retry(tiktok_id, actor="U1").placement == "placed"
    assert stock(shops, sku) == before - 1
