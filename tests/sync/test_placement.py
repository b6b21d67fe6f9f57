"""Allocation from stock pools: all or nothing per order, pooled SKUs share one quantity."""

from test_journal import BLUE, RED, inventory, product

from sync.placement import Failure, Need, Stock, Take, allocate


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
