"""A fetch's use of the SKU index and of Etsy's quota, end to end against the emulators."""

import pytest

from commands.context import Actor, Context
from commands.home import home
from commands.views import fetch_summary
from orderbot.runtime import health_check
from storage import queries
from storage.db import transaction
from sync.engine import MappingRefused
from sync.placement import Need, resolve
from sync.skus import SkuEntry, SkuIndex
from tests.utils.catalog import stock

LISTING_PAGES = "/v3/application/shops/"


def unique_sku(shops) -> str:
    return next(sku for sku in shops.catalog.cases["unique"] if stock(shops, sku) >= 3)


def etsy_calls(shops) -> list:
    return [call for call in shops.etsy.calls if call.path.startswith("/v3/application/")]


def facts(reply) -> dict:
    return dict(item for block in reply.blocks for item in getattr(block, "items", ()))


def test_a_fetch_that_finds_nothing_new_costs_at_most_three_etsy_calls(core, shops):
    sku = unique_sku(shops)
    shops.tiktok.add_order(skus=[sku])
    first = core.services.engine.fetch()
    assert first.placed == 1 and first.index.startswith("full walk (first build)")

    for _ in range(2):  # the first sees the listing the placement changed, then nothing
        shops.etsy.reset_calls()
        summary = core.services.engine.fetch()
        calls = etsy_calls(shops)
        assert len(calls) <= 3, [(c.method, c.path, c.query) for c in calls]
        assert all(
            c.path.startswith(LISTING_PAGES) and c.query["sort_on"] == "updated" for c in calls
        )
        assert summary.index.startswith("incremental: ")
    assert summary.etsy_quota_left is not None and summary.etsy_quota_limit == 100_000
    shown = facts(fetch_summary(summary))
    assert shown["SKU index"] == summary.index
    assert shown["Etsy quota left"] == f"{summary.etsy_quota_left:,} of 100,000 calls today"


def test_a_second_core_on_the_same_database_does_not_rebuild_the_index(core, core_with, shops):
    core.services.engine.fetch()  # builds the index
    shops.etsy.reset_calls()
    other = core_with()  # another process: its own clients and engine, the same database

    summary = other.services.engine.fetch()

    assert summary.index.startswith("incremental: ")
    assert len(etsy_calls(shops)) <= 3


def test_the_fetch_summary_says_when_etsy_ignored_the_sort(core, shops):
    core.services.engine.fetch()
    oldest = min(
        (item for item in shops.catalog.listings if item.get("state", "active") == "active"),
        key=lambda item: item["listing_id"],
    )
    sku = next(p["sku"] for p in oldest["inventory"]["products"] if p.get("sku"))
    shops.clock.advance(2)
    shops.etsy.set_quantity(oldest["listing_id"], sku, 2)
    shops.etsy.faults.update({"ignore_sort_on": True})

    summary = core.services.engine.fetch()

    assert summary.error is None
    assert summary.index.startswith("full walk (Etsy did not list them newest-updated first)")
    assert (
        "Etsy did not list them newest-updated first" in facts(fetch_summary(summary))["SKU index"]
    )


def test_a_low_quota_skips_the_refresh_and_still_places(core_with, shops):
    core = core_with(ORDERBOT_ETSY_QUOTA_RESERVE="200000")  # more than Etsy allows a day
    first = core.services.engine.fetch()
    assert first.index.startswith("full walk (first build)")  # with no index, it is built
    sku = unique_sku(shops)
    before = stock(shops, sku)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    shops.etsy.reset_calls()

    summary = core.services.engine.fetch()

    assert summary.placed == 1 and stock(shops, sku) == before - 1
    assert core.services.engine.order(order_id).placement == "placed"
    assert summary.index.startswith("not refreshed: only ")
    assert "of 100,000 Etsy calls left today; placing from the stored index" in summary.index
    assert not [c for c in etsy_calls(shops) if c.path.startswith(LISTING_PAGES)]


def test_a_mapping_refused_while_the_index_was_held_back_says_so(core_with, shops):
    core = core_with(ORDERBOT_ETSY_QUOTA_RESERVE="200000")
    core.services.engine.fetch()
    shops.etsy.reset_calls()

    with pytest.raises(MappingRefused) as refused:
        core.services.engine.map_sku("TT-TOTE-CANVAS", "TOTE-NEW", actor="U1")

    assert str(refused.value).startswith("Not mapped: No Etsy listing of the shop has SKU")
    assert "The SKU index was behind: not refreshed: only " in str(refused.value)
    assert etsy_calls(shops) == []


def test_healthz_and_app_home_show_the_quota_left(core, shops):
    check = health_check(core)
    assert check()["etsy_quota"] is None  # no Etsy answer yet
    core.services.engine.fetch()

    quota = check()["etsy_quota"]

    assert quota["limit_per_day"] == 100_000 and 0 < quota["remaining_today"] < 100_000
    reply = home(Context(core.services, Actor("U1", is_admin=False)))
    assert f"Etsy quota: {quota['remaining_today']:,} of 100,000 calls left today" in str(
        reply.blocks
    )


def test_a_mapped_sku_that_fails_is_named_with_its_mapping(core, shops):
    with transaction(core.services.sessions) as session:
        # A mapping stored before mappings were checked against the index.
        queries.put_sku_mapping(
            session,
            shop_id=core.services.shop_id,
            tiktok_sku="TT-TOTE-CANVAS",
            etsy_sku="NOPE-SKU",
            actor="U1",
            now=core.services.clock(),
        )
    order_id = shops.tiktok.add_order(skus=["TT-TOTE-CANVAS"])["id"]

    core.services.engine.fetch()

    row = core.services.engine.order(order_id)
    assert row.failure_reason == "sku_unmatched"
    assert row.failure_detail == "no Etsy listing has SKU TT-TOTE-CANVAS (mapped to NOPE-SKU)"


def test_an_ambiguous_mapped_sku_is_named_with_its_mapping_too():
    index = SkuIndex([SkuEntry("DUP", 4, 3), SkuEntry("DUP", 5, 3)])
    failure = resolve([Need(1, "TT-MUG", "DUP", 1)], index)
    assert failure.detail == "TT-MUG (mapped to DUP): DUP is on more than one Etsy listing (4, 5)"
    unmapped = resolve([Need(1, "DUP", "DUP", 1)], index)
    assert unmapped.detail == "DUP is on more than one Etsy listing (4, 5)"
