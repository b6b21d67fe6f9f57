"""Planning placements without I/O: what orders need, allocation from stock pools (all or
nothing per order, pooled SKUs share one quantity), and whole batches."""

import json

import pytest

from storage.models import Component, OrderLine
from sync.journal import Change
from sync.placement import (
    Failure,
    Need,
    Planner,
    Stock,
    Take,
    allocate,
    component_sku_ids,
    listings_wanted,
    needs_of,
    plan_batch,
)
from sync.skus import SkuIndex
from tests.utils.inventories import BLUE, RED, inventory, product


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


# --- plan_batch: a whole batch, table-driven ------------------------------------------------

# Listings as the index and Etsy see them: 1 holds MUG-RED (5) and MUG-BLUE (2) apart; 2 holds
# VASE (1); 3 holds LAMP-RED and LAMP-BLUE sharing one quantity (6); DUP is on 4 and 5.
LISTINGS = {
    1: inventory(product(11, "MUG-RED", 5, RED), product(12, "MUG-BLUE", 2, BLUE)),
    2: inventory(product(21, "VASE", 1)),
    3: inventory(
        product(31, "LAMP-RED", 6, RED), product(32, "LAMP-BLUE", 6, BLUE), quantity_on=()
    ),
    4: inventory(product(41, "DUP", 3)),
    5: inventory(product(51, "DUP", 3)),
}
INDEX = SkuIndex.build([{"listing_id": i, "inventory": inv} for i, inv in LISTINGS.items()])
FITS = "fits"

CASES = {
    "orders share a pool, oldest first, until it runs out": (
        {1: [("MUG-RED", 3)], 2: [("MUG-RED", 2)], 3: [("MUG-RED", 1)]},
        set(),
        {1: FITS, 2: FITS, 3: "insufficient_stock"},
        {1: [("MUG-RED", 5, 0)]},
    ),
    "an order short on one SKU takes none of the others": (
        {1: [("MUG-RED", 1), ("MUG-BLUE", 3)], 2: [("MUG-BLUE", 2)]},
        set(),
        {1: "insufficient_stock", 2: FITS},
        {1: [("MUG-BLUE", 2, 0)]},
    ),
    "SKUs sharing a quantity draw on one pool": (
        {1: [("LAMP-RED", 4)], 2: [("LAMP-BLUE", 3)], 3: [("LAMP-BLUE", 2)]},
        set(),
        {1: FITS, 2: "insufficient_stock", 3: FITS},
        {3: [("LAMP-BLUE", 6, 0)]},
    ),
    "an order on two listings changes both": (
        {1: [("MUG-RED", 1), ("VASE", 1)]},
        set(),
        {1: FITS},
        {1: [("MUG-RED", 5, 4)], 2: [("VASE", 1, 0)]},
    ),
    "a SKU on no listing, on two, or no SKU at all is never guessed": (
        {1: [("GHOST", 1)], 2: [("DUP", 1)], 3: [(None, 1)], 4: [], 5: [("VASE", 1)]},
        set(),
        {1: "sku_unmatched", 2: "sku_ambiguous", 3: "sku_unmatched", 4: "sku_unmatched", 5: FITS},
        {2: [("VASE", 1, 0)]},
    ),
    "a listing Etsy would not let us read fails only its own orders": (
        {1: [("VASE", 1)], 2: [("MUG-RED", 1)]},
        {2},
        {1: "etsy_error", 2: FITS},
        {1: [("MUG-RED", 5, 4)]},
    ),
}


def needs_of_table(table: dict) -> dict[int, list[Need]]:
    return {
        order_id: [Need(order_id, sku or "TT-1", sku, units) for sku, units in wanted]
        for order_id, wanted in table.items()
    }


@pytest.mark.parametrize(("needs", "unreadable", "outcomes", "changes"), CASES.values(), ids=CASES)
def test_plan_batch(needs, unreadable, outcomes, changes):
    needs = needs_of_table(needs)
    wanted = listings_wanted(needs, INDEX)
    inventories = {i: LISTINGS[i] for i in wanted if i not in unreadable}

    plan = plan_batch(needs, INDEX, inventories)

    got = {
        order_id: FITS if isinstance(out, list) else out.reason
        for order_id, out in plan.outcomes.items()
    }
    assert got == outcomes
    assert list(plan.outcomes) == list(needs)  # served in the order given
    as_tuples = {
        listing_id: [(c.sku, c.before, c.after) for c in listing_changes]
        for listing_id, listing_changes in plan.changes(plan.fitting()).items()
    }
    assert as_tuples == changes
    left = {
        (listing_id, plan.stock.pools[(listing_id, sku)].id): after
        for listing_id, listing_changes in as_tuples.items()
        for sku, _, after in listing_changes
    }
    assert plan.left == left  # what the batch leaves of each pool it drew on


def test_a_batch_journalled_without_an_order_that_moved_on_takes_none_of_its_units():
    needs = needs_of_table({1: [("MUG-RED", 3)], 2: [("MUG-RED", 1), ("VASE", 1)]})
    plan = plan_batch(needs, INDEX, {1: LISTINGS[1], 2: LISTINGS[2]})
    assert plan.fitting() == [1, 2]

    only_first = plan.changes({1})

    assert only_first == {1: [Change("MUG-RED", 5, 2)]}  # no VASE change, no unit of order 2
    assert plan.takes_on(1, {1}) == [(1, plan.outcomes[1][0])]


# --- Planner: a settle's chunks against one read of each listing ----------------------------


def planner_of(*listing_ids: int) -> Planner:
    planner = Planner()
    planner.read({i: LISTINGS[i] for i in listing_ids})
    return planner


def outcomes(plan) -> dict:
    return {
        oid: FITS if isinstance(out, list) else out.reason for oid, out in plan.outcomes.items()
    }


def test_stock_taken_by_one_chunk_is_carried_into_the_next():
    planner = planner_of(1, 3)
    first = planner.plan(needs_of_table({1: [("MUG-RED", 3)], 2: [("LAMP-RED", 4)]}), INDEX)
    assert planner.commit(first, {1, 2}) == {
        1: [Change("MUG-RED", 5, 2)],
        3: [Change("LAMP-BLUE", 6, 2)],  # the pool, named by its first SKU,
    }

    second = planner.plan(
        needs_of_table({3: [("MUG-RED", 3)], 4: [("LAMP-BLUE", 2)], 5: [("MUG-RED", 2)]}), INDEX
    )

    assert outcomes(second) == {3: "insufficient_stock", 4: FITS, 5: FITS}
    assert "Etsy has 2" in second.outcomes[3].detail  # what the first chunk left, not 5
    # Each listing's changes are all of its orders' so far: its one intent's.
    assert planner.commit(second, {4, 5}) == {
        1: [Change("MUG-RED", 5, 0)],
        3: [Change("LAMP-BLUE", 6, 0)],
    }


def test_units_of_orders_not_journalled_stay_available_to_later_chunks():
    planner = planner_of(1)
    first = planner.plan(needs_of_table({1: [("MUG-RED", 4)], 2: [("MUG-BLUE", 1)]}), INDEX)
    assert first.fitting() == [1, 2]
    assert planner.commit(first, {2}) == {1: [Change("MUG-BLUE", 2, 1)]}  # order 1 moved on

    second = planner.plan(needs_of_table({3: [("MUG-RED", 5)]}), INDEX)

    assert outcomes(second) == {3: FITS}
    assert planner.commit(second, {3}) == {1: [Change("MUG-BLUE", 2, 1), Change("MUG-RED", 5, 0)]}


def test_a_listing_read_for_a_later_chunk_joins_the_plan_and_an_unread_one_fails_its_orders():
    planner = planner_of(1)
    needs = needs_of_table({1: [("VASE", 1)]})
    assert outcomes(planner.plan(needs, INDEX)) == {1: "etsy_error"}

    planner.read({2: LISTINGS[2]}, tried=[2, 4])

    assert outcomes(planner.plan(needs, INDEX)) == {1: FITS}
    assert planner.tried == {1, 2, 4}
