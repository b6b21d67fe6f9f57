"""The stock-move journal's decisions, on inventories as Etsy returns them."""

import json
from datetime import UTC, datetime

import pytest

from sync import journal
from sync.journal import Change
from tests.utils.inventories import BLUE, RED, inventory, product

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def intent_for(before_inventory: dict, changes: list[Change]):
    return journal.new_intent(
        shop_id=1,
        listing_id=9,
        kind="reserve",
        inventory=before_inventory,
        changes=changes,
        now=NOW,
    )


PLANNED = inventory(product(11, "MUG-RED", 5, RED), product(12, "MUG-BLUE", 7, BLUE))
CHANGE = [Change("MUG-RED", 5, 4)]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Etsy renewed the ids and holds what we wrote: ours landed.
        (inventory(product(21, "MUG-RED", 4, RED), product(22, "MUG-BLUE", 7, BLUE)), "applied"),
        # An Etsy that keeps ids stable: the quantities alone say ours landed.
        (inventory(product(11, "MUG-RED", 4, RED), product(12, "MUG-BLUE", 7, BLUE)), "applied"),
        # Nothing written since we planned.
        (PLANNED, "not_applied"),
        # Same ids, a sale moved the quantity: no write happened, re-plan from 3.
        (
            inventory(product(11, "MUG-RED", 3, RED), product(12, "MUG-BLUE", 7, BLUE)),
            "not_applied",
        ),
        # New ids and neither quantity: someone else wrote; undecidable.
        (inventory(product(31, "MUG-RED", 2, RED), product(32, "MUG-BLUE", 7, BLUE)), "unknown"),
    ],
)
def test_verdicts(now, expected):
    assert journal.verdict(intent_for(PLANNED, CHANGE), now) == expected


def test_rebase_replans_on_todays_quantity_or_gives_up():
    sold_one = inventory(product(41, "MUG-RED", 3, RED), product(42, "MUG-BLUE", 7, BLUE))
    intent = intent_for(PLANNED, CHANGE)
    assert journal.rebase(intent, sold_one)
    assert journal.changes_of(intent) == [Change("MUG-RED", 3, 2)]
    assert json.loads(intent.product_ids_before) == [41, 42]  # the ids a new write would renew
    assert journal.verdict(intent, sold_one) == "not_applied"

    gone = inventory(product(11, "MUG-RED", 0, RED), product(12, "MUG-BLUE", 7, BLUE))
    untouched = intent_for(PLANNED, CHANGE)
    assert not journal.rebase(untouched, gone)
    assert journal.changes_of(untouched) == CHANGE


def test_a_shared_quantity_pool_is_written_whole():
    # Colour drives the SKU but not the quantity: both products hold one stock of 6.
    pooled = inventory(
        product(11, "MUG-RED", 6, RED), product(12, "MUG-BLUE", 6, BLUE), quantity_on=()
    )
    body = journal.body_for(pooled, [Change("MUG-BLUE", 6, 5)])
    quantities = [p["offerings"][0]["quantity"] for p in body["products"]]
    assert quantities == [5, 5]
    assert "product_id" not in json.dumps(body)
    assert journal.empties_listing(pooled, [Change("MUG-RED", 6, 0)])
    assert not journal.empties_listing(PLANNED, [Change("MUG-RED", 5, 0)])
