"""The order engine end to end against the sandbox marketplaces over loopback HTTP."""

import os

import pytest
from sqlmodel import select

from storage import queries
from storage.models import Order, OrderEvent, StockIntent
from sync.engine import EngineError, FetchRunning
from tests.utils.catalog import stock, unique_skus


def order_row(core, tiktok_id: str) -> Order:
    return core.services.engine.order(tiktok_id)


def test_places_each_unit_once_and_a_refetch_changes_nothing(core, shops):
    a, b = unique_skus(shops, 2)
    before = {sku: stock(shops, sku) for sku in (a, b)}
    two_of_a = shops.tiktok.add_order(skus=[a, a, b])["id"]

    first = core.services.engine.fetch()
    assert first.error is None and first.placed == 1
    assert stock(shops, a) == before[a] - 2  # two line items of one SKU are two units
    assert stock(shops, b) == before[b] - 1
    assert order_row(core, two_of_a).section == "awaiting-shipment"
    assert order_row(core, two_of_a).placement == "placed"

    shops.etsy.reset_calls()
    again = core.services.engine.fetch()
    assert again.placed == 0 and again.new == 0
    assert stock(shops, a) == before[a] - 2 and stock(shops, b) == before[b] - 1
    assert not [c for c in shops.etsy.calls if c.method == "PUT"]
    with core.services.sessions() as session:
        assert queries.section_counts(session, shop_id=core.services.shop_id) == (
            queries.recount_sections(session, shop_id=core.services.shop_id)
        )


def test_unmatched_and_short_orders_fail_whole_and_reserve_nothing(core, shops):
    ok_sku = unique_skus(shops, 1)[0]
    low = shops.catalog.cases["low_stock"][0]
    ok_before, low_before = stock(shops, ok_sku), stock(shops, low)
    unmatched = shops.tiktok.add_order(skus=[ok_sku, "TT-GHOST-1"])["id"]
    short = shops.tiktok.add_order(skus=[ok_sku] + [low] * (low_before + 1))["id"]

    summary = core.services.engine.fetch()

    assert summary.failed == {"sku_unmatched": 1, "insufficient_stock": 1}
    failed = order_row(core, unmatched)
    assert (failed.section, failed.failure_reason) == ("failed", "sku_unmatched")
    assert "TT-GHOST-1" in failed.failure_detail
    short_row = order_row(core, short)
    assert short_row.failure_reason == "insufficient_stock"
    assert "short 1" in short_row.failure_detail
    assert stock(shops, ok_sku) == ok_before and stock(shops, low) == low_before


def test_ambiguous_skus_are_never_guessed(core, shops):
    dup = shops.tiktok.add_order(skus=["DUP-MUG"])["id"]
    uneven = shops.tiktok.add_order(skus=["CANDLE-SOY"])["id"]
    core.services.engine.fetch()
    for order_id in (dup, uneven):
        row = order_row(core, order_id)
        assert (row.section, row.failure_reason) == ("failed", "sku_ambiguous")
    assert "more than one Etsy listing" in order_row(core, dup).failure_detail


def test_shared_sku_products_move_together(core, shops):
    before = {key: q for key, q in shops.etsy.quantities().items() if key[1] == "woodthing3"}
    assert len(before) > 1
    shops.tiktok.add_order(skus=["woodthing3", "woodthing3"])
    assert core.services.engine.fetch().placed == 1
    after = {key: q for key, q in shops.etsy.quantities().items() if key[1] == "woodthing3"}
    assert sorted(after.values()) == sorted(q - 2 for q in before.values())


def test_on_hold_reserves_nothing_until_it_may_ship(core, shops):
    sku = unique_skus(shops, 1)[0]
    before = stock(shops, sku)
    held = shops.tiktok.add_order(skus=[sku], status="ON_HOLD")["id"]
    core.services.engine.fetch()
    assert order_row(core, held).section == "on-hold"
    assert stock(shops, sku) == before

    shops.tiktok.set_status(held, "AWAITING_SHIPMENT")
    shops.clock.advance(2)
    core.services.engine.fetch()
    assert order_row(core, held).placement == "placed"
    assert stock(shops, sku) == before - 1


def test_fulfilled_by_tiktok_is_tracked_not_placed(core, shops):
    sku = unique_skus(shops, 1)[0]
    before = stock(shops, sku)
    fbt = shops.tiktok.add_order(skus=[sku], fulfillment_type="FULFILLMENT_BY_TIKTOK")["id"]
    core.services.engine.fetch()
    row = order_row(core, fbt)
    assert (row.section, row.fulfilled_by, row.placement) == (
        "awaiting-shipment",
        "TIKTOK",
        "skipped",
    )
    assert stock(shops, sku) == before


def test_buyer_cancel_gives_stock_back_exactly_once(core, shops):
    sku = unique_skus(shops, 1)[0]
    before = stock(shops, sku)
    order_id = shops.tiktok.add_order(skus=[sku, sku])["id"]
    core.services.engine.fetch()
    assert stock(shops, sku) == before - 2

    shops.tiktok.buyer_cancel(order_id)
    shops.clock.advance(2)
    assert core.services.engine.fetch().restored == 1
    assert stock(shops, sku) == before
    row = order_row(core, order_id)
    assert (row.section, row.placement) == ("cancelled", "restored")

    shops.clock.advance(2)
    core.services.engine.fetch()
    assert stock(shops, sku) == before


def test_failed_delivery_is_failed_and_restocked_only_on_request(core, shops):
    sku = unique_skus(shops, 1)[0]
    before = stock(shops, sku)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    core.services.engine.fetch()
    shops.tiktok.set_status(order_id, "IN_TRANSIT")
    shops.tiktok.system_cancel(order_id, "returned_to_shipper_refused")
    shops.clock.advance(2)
    core.services.engine.fetch()

    row = order_row(core, order_id)
    assert (row.section, row.failure_reason) == ("failed", "returned_to_sender")
    assert row.cancel_reason_key == "returned_to_shipper_refused"
    assert stock(shops, sku) == before - 1  # the parcel is not back on the shelf yet

    core.services.engine.restock(order_id, actor="U1")
    assert stock(shops, sku) == before
    with pytest.raises(EngineError):
        core.services.engine.restock(order_id, actor="U1")
    assert stock(shops, sku) == before


def test_seller_cancel_reaches_tiktok_once_and_restores(core, shops):
    sku = unique_skus(shops, 1)[0]
    before = stock(shops, sku)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    engine = core.services.engine
    engine.fetch()

    done = engine.cancel(order_id, "seller_cancel_reason_out_of_stock", actor="U_ADMIN")
    assert done.section == "cancelled" and done.placement == "restored"
    assert stock(shops, sku) == before
    with pytest.raises(EngineError, match="already"):
        engine.cancel(order_id, "seller_cancel_reason_out_of_stock", actor="U_ADMIN")
    cancels = [c for c in shops.tiktok.calls if c.path.endswith("/cancellations")]
    assert len(cancels) == 1
    with core.services.sessions() as session:
        kinds = [
            e.kind for e in session.exec(select(OrderEvent).where(OrderEvent.order_id == done.id))
        ]
    assert "cancel_requested" in kinds and "cancelled" in kinds and "restored" in kinds


def test_tiktok_refusal_is_plain_and_changes_nothing(core, shops):
    order_id = shops.tiktok.add_order(skus=[unique_skus(shops, 1)[0]], status="UNPAID")["id"]
    core.services.engine.fetch()
    with pytest.raises(EngineError, match="TikTok refused"):
        core.services.engine.cancel(order_id, "seller_cancel_reason_out_of_stock", actor="U1")
    row = order_row(core, order_id)
    assert row.cancel_requested_at is None and row.tiktok_status == "UNPAID"


def test_mapping_a_sku_retries_the_orders_that_failed_on_it(core, shops):
    tote_before = stock(shops, "TOTE-CANVAS")
    order_id = shops.tiktok.add_order(skus=["TT-TOTE-CANVAS"])["id"]
    core.services.engine.fetch()
    assert order_row(core, order_id).failure_reason == "sku_unmatched"

    retried = core.services.engine.map_sku("TT-TOTE-CANVAS", "TOTE-CANVAS", actor="U1")
    assert [o.tiktok_order_id for o in retried] == [order_id]
    row = order_row(core, order_id)
    assert (row.section, row.placement) == ("awaiting-shipment", "placed")
    assert stock(shops, "TOTE-CANVAS") == tote_before - 1


def test_a_second_fetch_is_refused_while_one_runs(core):
    engine = core.services.engine
    assert engine.leases.take(f"fetch:{engine.shop_id}", "someone-else", hold_for=engine.lease_for)
    with pytest.raises(FetchRunning):
        engine.fetch()


def test_an_unconfirmed_write_is_reconciled_without_counting_twice(core, shops):
    sku = unique_skus(shops, 1)[0]
    before = stock(shops, sku)
    first = shops.tiktok.add_order(skus=[sku])["id"]
    shops.etsy.faults.reset_rate = 1.0  # every answer is lost, writes still land
    summary = core.services.engine.fetch()
    assert summary.error is not None  # Etsy "down": the fetch stops, resumable
    shops.etsy.faults.reset_rate = 0.0

    core.services.engine.fetch()
    assert stock(shops, sku) == before - 1
    assert order_row(core, first).placement == "placed"
    with core.services.sessions() as session:
        assert not session.exec(select(StockIntent).where(StockIntent.state == "pending")).all()


def test_a_combined_listing_item_takes_sku_count_units_of_each_component(core, shops):
    a, b = unique_skus(shops, 2)
    before = {sku: stock(shops, sku) for sku in (a, b)}
    by_seller_sku = {row["seller_sku"]: row["sku_id"] for row in shops.tiktok.catalog()}
    # Components carry only their sku_id (202309): orderbot learns the seller SKU from an
    # order that sold the SKU on its own, or from a mapping.
    shops.tiktok.add_order(skus=[a])
    core.services.engine.fetch()
    core.services.engine.map_sku(by_seller_sku[b], b, actor="U1")
    bundle = shops.tiktok.add_order(
        skus=[],
        combined=[
            {
                "sku_id": "9900001",
                "components": [
                    {"seller_sku": a, "sku_count": 2},
                    {"seller_sku": b, "sku_count": 1},
                ],
            }
        ],
    )["id"]
    shops.clock.advance(2)
    core.services.engine.fetch()

    assert order_row(core, bundle).placement == "placed"
    assert stock(shops, a) == before[a] - 3  # 1 sold alone + 2 in the bundle
    assert stock(shops, b) == before[b] - 1


def test_when_etsy_refuses_zero_stock_the_listing_is_deactivated_instead(core, shops):
    shops.etsy.zero_stock_policy = "reject"
    listing_id = shops.catalog.case_listings["low_stock"][0]
    sku = "BOWL-LOW"
    units = stock(shops, sku)
    assert [k for k in shops.etsy.quantities() if k[0] == listing_id] == [
        k for k in shops.etsy.quantities() if k[1] == sku
    ]  # a one-product listing: all of its stock goes
    order_id = shops.tiktok.add_order(skus=[sku] * units)["id"]

    assert core.services.engine.fetch().placed == 1
    assert shops.etsy.listing(listing_id)["state"] == "inactive"
    assert stock(shops, sku) == units  # the quantity itself was refused
    shown = [e.detail for e in events(core, order_id)]
    assert any("deactivated" in detail for detail in shown)

    shops.tiktok.buyer_cancel(order_id)
    shops.clock.advance(2)
    assert core.services.engine.fetch().restored == 1
    assert stock(shops, sku) == units and shops.etsy.listing(listing_id)["state"] == "inactive"
    assert any("re-activate" in e.detail for e in events(core, order_id))


def events(core, tiktok_id: str) -> list[OrderEvent]:
    with core.services.sessions() as session:
        order = queries.order_by_tiktok_id(
            session, shop_id=core.services.shop_id, tiktok_order_id=tiktok_id
        )
        return queries.events_of(session, order_id=order.id)


def test_a_lease_left_by_a_killed_process_of_this_host_does_not_block_a_restart(core):
    import socket
    import subprocess
    import sys

    engine = core.services.engine
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = f"{socket.gethostname()}:{int(gone.stdout)}:dead0001"
    alive = f"{socket.gethostname()}:{os.getpid()}:live0001"
    name = f"fetch:{engine.shop_id}"

    assert engine.leases.take(name, alive, hold_for=engine.lease_for)
    with pytest.raises(FetchRunning, match="already running"):
        engine.fetch()  # a live holder keeps its lease
    engine.leases.release(name, alive)

    assert engine.leases.take(name, dead, hold_for=engine.lease_for)
    assert engine.fetch().error is None  # a dead one's is taken over


def test_malformed_orders_fail_or_are_skipped_without_stopping_the_fetch(core, shops):
    good = shops.tiktok.add_order(skus=unique_skus(shops, 1))["id"]
    empty = shops.tiktok.add_order(skus=unique_skus(shops, 1), malformed="no_line_items")["id"]
    unreadable = shops.tiktok.add_order(
        skus=unique_skus(shops, 1), malformed="line_item_without_id"
    )["id"]

    summary = core.services.engine.fetch()

    assert summary.error is None and summary.placed == 1
    assert order_row(core, good).placement == "placed"
    assert order_row(core, empty).placement == "failed"  # never stuck "placing"
    assert unreadable in summary.skipped
    with pytest.raises(Exception, match="No order"):
        order_row(core, unreadable)


def test_a_shared_quantity_pool_moves_whole_and_shares_its_stock(core, shops):
    red, blue = shops.catalog.cases["shared_quantity_pool"][:2]
    pool = stock(shops, red)
    assert stock(shops, blue) == pool
    shops.tiktok.add_order(skus=[red, red])
    shops.tiktok.add_order(skus=[blue])
    assert core.services.engine.fetch().placed == 2
    assert stock(shops, red) == stock(shops, blue) == pool - 3


def test_a_listing_etsy_refuses_fails_its_own_orders_only(core, shops):
    a, b = unique_skus(shops, 2)
    listing_of_a = next(key[0] for key in shops.etsy.quantities() if key[1] == a)
    shops.etsy.faults.forbid_listings = {listing_of_a}
    refused = shops.tiktok.add_order(skus=[a])["id"]
    fine = shops.tiktok.add_order(skus=[b])["id"]

    summary = core.services.engine.fetch()

    assert summary.error is None
    assert order_row(core, refused).failure_reason == "etsy_error"
    assert order_row(core, fine).placement == "placed"


def test_an_etsy_that_keeps_product_ids_is_reconciled_without_taking_twice(core, shops):
    shops.etsy.renew_product_ids = False
    sku = unique_skus(shops, 1)[0]
    before = stock(shops, sku)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    shops.etsy.faults.reset_rate = 1.0  # writes land, answers are lost
    assert core.services.engine.fetch().error is not None
    shops.etsy.faults.reset_rate = 0.0
    core.services.engine.fetch()
    assert stock(shops, sku) == before - 1
    assert order_row(core, order_id).placement == "placed"


def test_a_fetch_that_loses_its_lease_stops_instead_of_running_beside_another(core, shops):
    engine = core.services.engine
    shops.tiktok.seed_orders(150)  # two pages of 100
    name = f"fetch:{engine.shop_id}"
    stolen: list[str] = []

    def steal(_progress):
        if not stolen:  # after the first page, another worker takes the lease over
            holder = engine.leases.holder_of(name)
            with core.services.sessions() as session:
                assert queries.take_over_lease(
                    session,
                    name=name,
                    dead_holder=holder,
                    holder="elsewhere:1:thief",
                    expires_at=engine.clock() + engine.lease_for,
                )
            stolen.append(holder)

    summary = engine.fetch(progress=steal)
    assert stolen and summary.pages == 1
    assert summary.error and "taken by another worker" in summary.error
    assert engine.leases.holder_of(name) == "elsewhere:1:thief"  # its lease is left alone
