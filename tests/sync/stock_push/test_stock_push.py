"""Stock push end to end: a fetch with ORDERBOT_STOCK_PUSH on sets TikTok to Etsy's quantity
less the buffer, counted from the TikTok emulator's recorded calls and read back from it."""

import json

import pytest

from commands.views import fetch_summary
from storage import queries
from storage.models import StockPush
from storage.states import PushState
from sync.stock_push import RETRIES
from tests.utils.catalog import stock, unique_skus

UPDATE = "/inventory/update"
SEARCH = "/product/202309/products/search"


@pytest.fixture
def pushing(core_with):
    return core_with(ORDERBOT_STOCK_PUSH="on", ORDERBOT_STOCK_BUFFER="1")


def tiktok_stock(shops) -> dict[str, dict]:
    """seller SKU → {warehouse id: available} of each TikTok SKU (seller SKUs are unique in
    the seed)."""
    return {
        sku["seller_sku"]: {row["warehouse_id"]: row["quantity"] for row in sku["inventory"]}
        for product in shops.tiktok.products()
        for sku in product["skus"]
    }


def product_of(shops, seller_sku: str) -> str:
    return next(
        p["id"]
        for p in shops.tiktok.products()
        if any(s["seller_sku"] == seller_sku for s in p["skus"])
    )


def listing_of(shops, sku: str) -> int:
    (listing_id,) = {lid for (lid, s, _), _q in shops.etsy.quantities().items() if s == sku}
    return listing_id


def updates(shops) -> list:
    return [c for c in shops.tiktok.calls if c.path.endswith(UPDATE)]


def pushes(core) -> list:
    services = core.services
    with services.sessions() as session:
        return sorted(
            queries.latest_pushes(session, shop_id=services.shop_id).values(), key=lambda p: p.id
        )


def test_push_is_off_by_default_and_touches_nothing_on_tiktok(core, shops):
    before = tiktok_stock(shops)
    core.services.engine.fetch()
    assert updates(shops) == [] and not [c for c in shops.tiktok.calls if c.path == SEARCH]
    assert tiktok_stock(shops) == before


def test_the_first_fetch_sets_every_matched_sku_once_with_one_call_per_product(pushing, shops):
    before = tiktok_stock(shops)
    pushing.services.engine.fetch()

    done = pushes(pushing)
    assert done and all(p.state == PushState.DONE for p in done)
    now = tiktok_stock(shops)
    for push in done:
        assert push.quantity == max(0, stock(shops, push.etsy_sku) - 1)
        levels = list(now[push.seller_sku].values())
        assert levels[0] == push.quantity and not any(levels[1:])  # all on the first warehouse
    cases = shops.catalog.cases
    split = next(sku for sku in cases["two_warehouses"] if sku in cases["unique"])
    assert len(now[split]) == 2 and split in {p.seller_sku for p in done}
    # One call per product, each naming only SKUs of its own product.
    calls = updates(shops)
    products = [c.path.split("/")[4] for c in calls]
    assert len(products) == len(set(products)) == len({p.product_id for p in done})
    for call in calls:
        ids = {sku["id"] for sku in json.loads(call.body)["skus"]}
        assert ids == {p.sku_id for p in done if p.product_id == call.path.split("/")[4]}
    # Never pushed: a SKU on no listing, one on several listings.
    for sku in ("TT-GHOST-1", shops.catalog.cases["ambiguous_listings"][0]):
        assert sku not in {p.seller_sku for p in done} and now[sku] == before[sku]


def test_a_fetch_with_nothing_changed_pushes_nothing(pushing, shops):
    engine = pushing.services.engine
    engine.fetch()
    engine.fetch()  # reads back the products the first pushes touched
    shops.tiktok.reset_calls()
    shops.etsy.reset_calls()
    engine.fetch()
    assert updates(shops) == []
    # No Etsy call beyond the fetch's incremental index refresh (one page per state).
    etsy = [c for c in shops.etsy.calls if c.path.startswith("/v3/application/")]
    assert len(etsy) <= 3 and all(c.query.get("sort_on") == "updated" for c in etsy)


def test_etsy_side_changes_are_followed_by_the_next_fetch_coalesced(pushing, shops):
    engine = pushing.services.engine
    engine.fetch()
    sold, edited = unique_skus(shops, 2, at_least=5)
    shops.etsy.sell(listing_of(shops, sold), sold, 1)
    shops.etsy.sell(listing_of(shops, sold), sold, 2)  # two sales, one push
    shops.etsy.set_quantity(listing_of(shops, edited), edited, 1)  # 1 - buffer 1: zero
    shops.tiktok.reset_calls()

    engine.fetch()

    calls = updates(shops)
    assert len(calls) == len({product_of(shops, sold), product_of(shops, edited)})
    pushed = [sku["id"] for call in calls for sku in json.loads(call.body)["skus"]]
    assert len(pushed) == len(set(pushed)) == 2
    now = tiktok_stock(shops)
    assert sum(now[sold].values()) == stock(shops, sold) - 1
    assert sum(now[edited].values()) == 0  # zero is a target, not a deactivation


def test_orderbots_own_reservation_and_restore_are_pushed_by_the_fetch_that_made_them(
    pushing, shops
):
    engine = pushing.services.engine
    engine.fetch()
    (sku,) = unique_skus(shops, 1, at_least=5)
    shelf = stock(shops, sku)
    order_id = shops.tiktok.add_order(skus=[sku, sku])["id"]
    shops.etsy.sell(listing_of(shops, sku), sku, 1)  # and an Etsy sale before the fetch

    engine.fetch()  # sees the sale, places the order: Etsy three lower

    assert stock(shops, sku) == shelf - 3
    assert sum(tiktok_stock(shops)[sku].values()) == shelf - 3 - 1
    shops.tiktok.buyer_cancel(order_id)
    engine.fetch()  # gives the two back
    assert stock(shops, sku) == shelf - 1
    assert sum(tiktok_stock(shops)[sku].values()) == shelf - 1 - 1


def test_a_push_cut_short_is_pushed_again_with_etsys_current_quantity(pushing, shops, monkeypatch):
    engine = pushing.services.engine
    engine.fetch()
    (sku,) = unique_skus(shops, 1, at_least=5)

    class Crash(BaseException):
        pass

    real = engine.stock.tiktok.update_inventory

    def sent_then_crash(product_id, skus):
        real(product_id, skus)
        raise Crash  # the process dies before it records TikTok's answer

    shops.etsy.sell(listing_of(shops, sku), sku, 1)
    monkeypatch.setattr(engine.stock.tiktok, "update_inventory", sent_then_crash)
    with pytest.raises(Crash):
        engine.fetch()
    (left,) = [p for p in pushes(pushing) if p.seller_sku == sku]
    assert left.state == PushState.PENDING
    monkeypatch.undo()
    shops.etsy.sell(listing_of(shops, sku), sku, 1)  # Etsy moves on meanwhile

    engine.fetch()

    (last,) = [p for p in pushes(pushing) if p.seller_sku == sku]
    assert last.state == PushState.DONE and last.id != left.id
    assert sum(tiktok_stock(shops)[sku].values()) == stock(shops, sku) - 1
    with pushing.services.sessions() as session:
        assert session.get(StockPush, left.id).state == PushState.UNKNOWN


def test_429_and_5xx_are_retried_by_the_client_and_the_push_goes_through(pushing, shops):
    engine = pushing.services.engine
    engine.fetch()
    (sku,) = unique_skus(shops, 1, at_least=5)
    shops.etsy.sell(listing_of(shops, sku), sku, 1)
    engine.ctx.skus.refresh()  # the index learns of the sale (a fetch's refresh)
    shops.tiktok.faults.update(burst_429=2)

    report = engine.stock.cycle()

    assert (report.pushed, report.failed) == (1, 0)
    assert [c.status for c in shops.tiktok.calls if c.status == 429]
    assert sum(tiktok_stock(shops)[sku].values()) == stock(shops, sku) - 1


def test_tiktok_down_fails_the_push_and_the_next_cycle_pushes_it(pushing, shops):
    engine = pushing.services.engine
    engine.fetch()
    (sku,) = unique_skus(shops, 1, at_least=5)
    shops.etsy.sell(listing_of(shops, sku), sku, 1)
    engine.ctx.skus.refresh()
    shops.tiktok.faults.update(error_rate=1.0)

    down = engine.stock.cycle()

    assert (down.pushed, down.failed) == (0, 1) and down.stopped
    (failed,) = [p for p in pushes(pushing) if p.seller_sku == sku]
    assert failed.state == PushState.FAILED and failed.failures == 1 and failed.error
    shops.tiktok.faults.update(error_rate=0.0)

    up = engine.stock.cycle()

    assert (up.pushed, up.failed) == (1, 0)
    assert sum(tiktok_stock(shops)[sku].values()) == stock(shops, sku) - 1


def test_a_sku_tiktok_refuses_in_its_errors_fails_alone_and_is_retried_a_few_times(pushing, shops):
    engine = pushing.services.engine
    engine.fetch()
    shops.tiktok.zero_quantity = "reject"  # TikTok's printed range is 1-99,999 (§18.4)
    (zero, other) = unique_skus(shops, 2, at_least=5)
    shops.etsy.set_quantity(listing_of(shops, zero), zero, 1)  # less the buffer: 0
    shops.etsy.sell(listing_of(shops, other), other, 1)
    engine.ctx.skus.refresh()

    first = engine.stock.cycle()

    assert (first.pushed, first.failed) == (1, 1)
    (refused,) = [p for p in pushes(pushing) if p.seller_sku == zero]
    assert refused.state == PushState.FAILED and "12052055" in refused.error
    assert sum(tiktok_stock(shops)[other].values()) == stock(shops, other) - 1
    for _ in range(RETRIES + 2):
        engine.stock.cycle()
    with pushing.services.sessions() as session:
        tries = queries.pushes_of_skus(
            session, shop_id=pushing.services.shop_id, seller_skus=[zero], limit=50
        )
    assert len([p for p in tries if p.quantity == 0]) == RETRIES  # then it waits for Etsy
    assert [p.failures for p in reversed(tries) if p.quantity == 0] == list(range(1, RETRIES + 1))


def test_the_fetch_summary_says_what_the_push_did(pushing, shops):
    summary = pushing.services.engine.fetch()
    pushed = len(pushes(pushing))
    assert summary.stock_push.startswith(f"{pushed} of {pushed} SKUs pushed in ")
    shown = dict(
        item for block in fetch_summary(summary).blocks for item in getattr(block, "items", ())
    )
    assert shown["Stock push"] == summary.stock_push
