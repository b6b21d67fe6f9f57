"""Allocation from stock pools: all or nothing per order, pooled SKUs share one quantity."""

import json

from test_journal import BLUE, RED, inventory, product

from storage.models import Component, OrderLine
from sync.placement import Failure, Need, Stock, Take, allocate, component_sku_ids, needs_of


def takes(listing_id: int, **units: int) -> list[Take]:
    return [Take(Need(1, sku, sku, n), listing_id) for sku, n in units.items()]


def stock_of(inv: dict) -> Stock:
    stock = Stock()
    stock.add_inventory(9, inv)
    return stock


def test_skus_in_one_pool_draw_from_one_quantity():
    stock = stock_of(
        inventory(product(11, "MUG-RED", 6, RED), product(12, "MUG-BLUE", 6, BLUE), quantity_on=())
    )
    working: dict = {}
    assert allocate(takes(9, **{"MUG-RED": 4}), stock, working) is None
    short = allocate(takes(9, **{"MUG-BLUE": 3}), stock, working)
    assert isinstance(short, Failure) and short.reason == "insufficient_stock"
    assert "shared with MUG-RED" in short.detail and "short 1" in short.detail
    assert list(working.values()) == [2]  # the refused order took nothing


def test_separate_pools_do_not_share():
    stock = stock_of(inventory(product(11, "MUG-RED", 2, RED), product(12, "MUG-BLUE", 2, BLUE)))
    working: dict = {}
    assert allocate(takes(9, **{"MUG-RED": 2}), stock, working) is None
    assert allocate(takes(9, **{"MUG-BLUE": 2}), stock, working) is None


def test_an_order_short_on_one_sku_takes_nothing_of_the_others():
    stock = stock_of(inventory(product(11, "MUG-RED", 5, RED), product(12, "MUG-BLUE", 1, BLUE)))
    working: dict = {}
    failure = allocate(takes(9, **{"MUG-RED": 2, "MUG-BLUE": 2}), stock, working)
    assert failure.reason == "insufficient_stock" and working == {}


def bundle_line(line_id: int, *parts: tuple[str, int, str | None]) -> OrderLine:
    combined = [{"sku_id": s, "sku_count": n, "seller_sku": seller} for s, n, seller in parts]
    return OrderLine(
        id=line_id, tiktok_line_id=str(line_id), sku_id="B1", combined=json.dumps(combined)
    )


def test_a_bundle_needs_sku_count_units_of_each_component():
    line = bundle_line(7, ("111", 2, "MUG-RED"), ("222", 1, None))
    assert line.components() == [
        Component(sku_id="111", sku_count=2, seller_sku="MUG-RED"),
        Component(sku_id="222", sku_count=1, seller_sku=None),
    ]
    assert component_sku_ids([line]) == {"222"}  # only the one TikTok sent without a seller SKU
    assert needs_of([line], {}, {"222": "MUG-BLUE"}) == [
        Need(7, "MUG-RED", "MUG-RED", 2),
        Need(7, "MUG-BLUE", "MUG-BLUE", 1),
    ]
