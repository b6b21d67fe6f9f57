"""Which TikTok SKUs take which Etsy quantity, and which are owed a push (pure)."""

from datetime import UTC, datetime, timedelta

import pytest

from storage.models import EtsySku, StockIntent, StockPush, TikTokSku
from storage.states import PushState
from sync.stock_push.planning import RETRIES, Target, by_product, match, owed, written_since_read

NOW = datetime(2026, 5, 4, tzinfo=UTC)


def tiktok(sku_id, seller_sku, product="P1", status="ACTIVATE") -> TikTokSku:
    return TikTokSku(
        shop_id=1,
        sku_id=sku_id,
        product_id=product,
        product_status=status,
        seller_sku=seller_sku,
        warehouses="[]",
        read_at=NOW,
    )


def etsy(sku, listing_id, quantity, problem=None) -> EtsySku:
    return EtsySku(
        shop_id=1,
        listing_id=listing_id,
        sku=sku,
        quantity=quantity,
        problem=problem,
        changed_at=NOW,
    )


def matched(skus, entries, mappings=None, buffer=0, warehouses=None):
    return match(
        skus,
        mappings=mappings or {},
        entries=entries,
        buffer=buffer,
        warehouses=warehouses or {s.sku_id: ("W1",) for s in skus},
    )


def test_a_sku_takes_etsys_quantity_less_the_buffer_never_below_zero():
    found = matched(
        [tiktok("1", "A"), tiktok("2", "B")], [etsy("A", 10, 7), etsy("B", 11, 1)], buffer=2
    )
    assert {t.seller_sku: t.quantity for t in found.targets} == {"A": 5, "B": 0}
    assert found.problems == {"1": None, "2": None}


def test_a_mapped_sku_takes_its_mapped_etsy_sku():
    (target,) = matched([tiktok("1", "TT-A")], [etsy("A", 10, 4)], {"TT-A": "A"}).targets
    assert (target.etsy_sku, target.listing_id, target.quantity) == ("A", 10, 4)


@pytest.mark.parametrize(
    ("skus", "entries", "why"),
    [
        ([tiktok("1", "A")], [], "Etsy SKU A is on no Etsy listing"),
        ([tiktok("1", "")], [etsy("", 10, 3)], "has no seller SKU"),
        ([tiktok("1", "A")], [etsy("A", 10, 3), etsy("A", 11, 3)], "more than one Etsy listing"),
        ([tiktok("1", "A")], [etsy("A", 10, None, "quantities differ")], "quantities differ"),
        (
            [tiktok("1", "A"), tiktok("2", "A", product="P2")],
            [etsy("A", 10, 3)],
            "all take their stock from Etsy SKU A",
        ),
    ],
)
def test_what_cannot_be_told_is_never_pushed(skus, entries, why):
    found = matched(skus, entries)
    assert found.targets == []
    assert all(why in problem for problem in found.problems.values())


def test_a_product_that_is_not_live_is_left_alone_and_not_a_problem():
    found = matched([tiktok("1", "A", status="SELLER_DEACTIVATED")], [etsy("A", 10, 3)])
    assert found.targets == [] and found.problems == {}


def test_every_warehouse_is_listed_with_the_total_on_the_first():
    (target,) = matched(
        [tiktok("1", "A")], [etsy("A", 10, 9)], buffer=1, warehouses={"1": ("W1", "W2", "W3")}
    ).targets
    inventory = target.inventory()
    assert [(w.warehouse_id, w.quantity) for w in inventory.stock] == [
        ("W1", 8),
        ("W2", 0),
        ("W3", 0),
    ]


def target(quantity=5, product="P1", sku_id="1") -> Target:
    return Target(sku_id, product, "A", "A", 10, quantity, 0, ("W1",))


def push(state, quantity=5, failures=0) -> StockPush:
    return StockPush(
        shop_id=1,
        sku_id="1",
        product_id="P1",
        seller_sku="A",
        etsy_sku="A",
        listing_id=10,
        etsy_quantity=quantity,
        buffer=0,
        quantity=quantity,
        state=state,
        failures=failures,
        created_at=NOW,
    )


@pytest.mark.parametrize(
    ("latest", "expected"),
    [
        (None, True),  # the first cycle with push on
        (push(PushState.DONE), False),
        (push(PushState.DONE, quantity=6), True),
        (push(PushState.PENDING), True),  # cut short
        (push(PushState.UNKNOWN), True),
        (push(PushState.FAILED, failures=1), True),
        (push(PushState.FAILED, failures=RETRIES), False),  # waits for a new quantity
        (push(PushState.FAILED, quantity=4, failures=RETRIES), True),
    ],
)
def test_owed(latest, expected):
    assert owed(target(), latest) is expected


def test_one_call_per_product_split_past_the_call_limit():
    targets = [target(product="P1", sku_id=str(i)) for i in range(5)] + [target(product="P2")]
    groups = by_product(targets, per_call=3)
    assert [(g[0].product_id, len(g)) for g in groups] == [("P1", 3), ("P1", 2), ("P2", 1)]


def test_orderbots_own_writes_after_the_index_read_win_the_last_one_first():
    def intent(listing_id, minutes, after):
        return StockIntent(
            shop_id=1,
            listing_id=listing_id,
            kind="reserve",
            state="done",
            product_ids_before="[]",
            changes=f'[{{"sku": "A", "before": 9, "after": {after}}}]',
            created_at=NOW,
            finished_at=NOW + timedelta(minutes=minutes),
        )

    read_at = {10: NOW + timedelta(minutes=1), 11: NOW + timedelta(minutes=5)}
    written = written_since_read(
        [intent(10, 0, 8), intent(10, 2, 7), intent(10, 3, 6), intent(11, 4, 1)], read_at
    )
    assert written == {("A", 10): 6}  # listing 11 was read after its write
    (target,) = matched([tiktok("1", "A")], [etsy("A", 10, 9)], buffer=1).targets
    assert target.quantity == 8
    found = match(
        [tiktok("1", "A")],
        mappings={},
        entries=[etsy("A", 10, 9)],
        buffer=1,
        warehouses={"1": ("W1",)},
        written=written,
    )
    assert found.targets[0].quantity == 5
