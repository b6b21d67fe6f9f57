"""The SKU index in the database: built once, refreshed by what changed (counted from the Etsy
emulator's recorded calls), rebuilt daily or for a missing SKU, and held back by the quota."""

from datetime import UTC, datetime, timedelta

import pytest

from sandbox.etsy import EtsySandbox
from sandbox.seed import make_catalog
from storage import queries
from storage.db import transaction
from sync.etsy.client import EtsyClient
from sync.etsy_index import EtsyIndex, IndexPass, RefreshKind, SkuChange
from sync.leases import Leases
from sync.quota import QuotaPolicy
from sync.skus import Ambiguous, Found, Missing
from sync.tokens import MemoryTokenStore, Tokens


class Clock:
    """orderbot's clock, set by each test; it starts at the Etsy emulator's time."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def catalog():
    return make_catalog(seed=3, n_listings=60)


@pytest.fixture
def etsy(catalog):
    sandbox = EtsySandbox(rate_per_s=1000, per_day=100_000)
    with sandbox:
        sandbox.load_catalog(catalog.listings)
        yield sandbox


@pytest.fixture
def clock(etsy):
    return Clock(datetime.fromtimestamp(int(etsy.clock.now()), UTC))


@pytest.fixture
def make_index(sessions, etsy, clock):
    with transaction(sessions) as session:
        shop_id = queries.ensure_shop(session, name="s", etsy_shop_id=str(etsy.shop_id)).id
    clients = []

    def make(**options) -> EtsyIndex:
        tokens = etsy.issue_tokens()
        client = EtsyClient(
            api_key=etsy.keystring,
            shared_secret=etsy.shared_secret,
            tokens=MemoryTokenStore(Tokens(tokens["access_token"], tokens["refresh_token"], None)),
            shop_id=etsy.shop_id,
            base_url=etsy.url,
            rate_per_s=1000,
            clock=clock,
            sleep=lambda _s: None,
        )
        clients.append(client)
        return EtsyIndex(
            sessions=sessions,
            shop_id=shop_id,
            etsy=client,
            clock=clock,
            leases=Leases(sessions, clock, sleep=lambda _s: None),
            wait_s=0,
            **options,
        )

    yield make
    for client in clients:
        client.close()


def api_calls(etsy: EtsySandbox) -> list:
    return [call for call in etsy.calls if call.path.startswith("/v3/application/")]


def sku_of(catalog, case: str) -> str:
    return catalog.cases[case][0]


def listing_of(etsy: EtsySandbox, sku: str) -> int:
    (listing_id,) = {lid for (lid, s, _), _ in etsy.quantities().items() if s == sku}
    return listing_id


def test_the_index_is_built_once_and_another_instance_on_the_database_reuses_it(
    make_index, etsy, catalog
):
    first = make_index().refresh()
    (built,) = first.done
    assert built.kind == RefreshKind.FULL and built.why == "first build"
    assert {call.query["state"] for call in api_calls(etsy)} == {"active", "sold_out", "inactive"}
    sku = sku_of(catalog, "unique")

    etsy.reset_calls()
    other = make_index()  # a new process: a client and an index of its own, the same database
    assert isinstance(other.lookup(sku), Found)
    assert api_calls(etsy) == []  # the lookup read the database only
    again = other.refresh()
    assert [refresh.kind for refresh in again.done] == [RefreshKind.INCREMENTAL]
    calls = api_calls(etsy)
    assert len(calls) == 3  # one page per indexed state, nothing changed
    assert all(call.query.get("sort_on") == "updated" for call in calls)
    assert all(call.query.get("sort_order") == "desc" for call in calls)
    assert again.changes.listings == set() and again.changes.skus == []


def test_a_refresh_reads_only_what_changed_and_says_what(make_index, etsy, catalog, clock):
    index = make_index()
    index.refresh()
    clock.now += timedelta(minutes=5)
    refreshed_at = clock.now
    sku = sku_of(catalog, "unique")
    listing_id = listing_of(etsy, sku)
    before = next(q for (lid, s, _), q in etsy.quantities().items() if s == sku)
    etsy.sell(listing_id, sku, 1)
    etsy.reset_calls()

    run = index.refresh()

    assert len(api_calls(etsy)) == 3
    assert run.changes.listings == {listing_id}
    assert run.changes.skus == [SkuChange(sku, listing_id, before, before - 1)]
    with index.sessions() as session:
        (row,) = queries.sku_entries(session, shop_id=index.shop_id, skus=[sku])
    assert (row.quantity, row.changed_at) == (before - 1, refreshed_at)
    assert "incremental: 1 listing changed (3 Etsy calls)" in run.note()


def test_a_pass_reads_the_last_changes_second_again_until_it_is_over(
    make_index, etsy, catalog, clock
):
    index = make_index()
    index.refresh()
    sku = sku_of(catalog, "unique")
    listing_id = listing_of(etsy, sku)
    etsy.set_quantity(listing_id, sku, 7)

    assert index.refresh().done[0].read == 1  # the edit
    assert index.refresh().done[0].read == 1  # its second may still see another change
    clock.now += timedelta(minutes=3)  # that second is over
    assert index.refresh().done[0].read == 1
    assert index.refresh().done[0].read == 0  # nothing newer than the last pass read


def test_a_listing_that_changes_state_shows_in_its_new_state(make_index, etsy, catalog):
    index = make_index()
    index.refresh()
    sku = sku_of(catalog, "unique")
    listing_id = listing_of(etsy, sku)
    etsy.set_state(listing_id, "inactive")

    run = index.refresh()

    assert run.changes.listings == {listing_id}
    with index.sessions() as session:
        stored = queries.indexed_listings(session, shop_id=index.shop_id, listing_ids=[listing_id])
    assert stored[listing_id].state == "inactive"
    assert index.lookup(sku) == Found(listing_id)  # a restore may still land there


def test_pages_not_newest_first_fall_back_to_a_full_walk_and_say_so(make_index, etsy, catalog):
    index = make_index()
    index.refresh()
    # The oldest listing changes: by creation (what an ignored sort_on gives) it comes last.
    oldest = min(item["listing_id"] for item in catalog.listings if item.get("state") != "sold_out")
    raw = next(item for item in catalog.listings if item["listing_id"] == oldest)
    sku = next(p["sku"] for p in raw["inventory"]["products"] if p.get("sku"))
    etsy.set_quantity(oldest, sku, 1)
    etsy.faults.update({"ignore_sort_on": True})

    run = index.refresh()

    kinds = [(refresh.kind, refresh.why) for refresh in run.done]
    assert kinds == [(RefreshKind.FULL, "Etsy did not list them newest-updated first")]
    assert oldest in run.changes.listings
    assert "full walk (Etsy did not list them newest-updated first)" in run.note()
    states = [call.query["state"] for call in api_calls(etsy)]
    assert states.count("active") >= 2  # the page that gave it away, then the whole walk


def test_the_daily_rebuild_drops_a_listing_that_left_every_indexed_state(
    make_index, etsy, catalog, clock
):
    index = make_index()
    index.refresh()
    sku = sku_of(catalog, "unique")
    listing_id = listing_of(etsy, sku)
    etsy.set_state(listing_id, "expired")

    clock.now += timedelta(hours=23)
    index.refresh()
    assert index.lookup(sku) == Found(listing_id)  # an incremental pass cannot see it leave

    clock.now += timedelta(hours=1)
    etsy.reset_calls()
    run = index.refresh()

    assert [(r.kind, r.why) for r in run.done] == [(RefreshKind.FULL, "daily rebuild")]
    assert run.changes.dropped == {listing_id}
    assert isinstance(index.lookup(sku), Missing)
    batch = [call for call in api_calls(etsy) if call.path.endswith("/listings/batch")]
    assert [call.query["listing_ids"] for call in batch] == [str(listing_id)]


def test_a_sku_missing_after_the_incremental_pass_forces_one_rebuild(
    make_index, etsy, catalog, clock
):
    index = make_index(rebuild_gap=timedelta(hours=1))
    index.refresh()
    # An edit Etsy did not timestamp: only a walk of the whole shop can find it.
    sku = sku_of(catalog, "unique")
    listing_id = listing_of(etsy, sku)
    with etsy.store.lock:
        etsy.store.get(listing_id).products[0].sku = "NEW-SKU-1"
    clock.now += timedelta(hours=2)

    run = IndexPass()
    found = index.index_for({"NEW-SKU-1"}, run)

    assert found.lookup("NEW-SKU-1") == Found(listing_id)
    assert [(r.kind, r.why) for r in run.done] == [
        (RefreshKind.INCREMENTAL, ""),
        (RefreshKind.FULL, "SKU NEW-SKU-1 not in the index"),
    ]
    etsy.reset_calls()
    assert isinstance(index.index_for({"NOT-ON-ETSY"}, run).lookup("NOT-ON-ETSY"), Missing)
    assert api_calls(etsy) == []  # the run had its rebuild

    clock.now += timedelta(minutes=30)
    later = IndexPass()
    index.index_for({"NOT-ON-ETSY"}, later)
    assert [r.kind for r in later.done] == [RefreshKind.INCREMENTAL]  # within the gap


def test_a_sku_on_a_listing_gone_from_etsy_is_unambiguous_once_it_is_read_by_id(
    make_index, etsy, catalog
):
    index = make_index()
    index.refresh()
    sku = sku_of(catalog, "ambiguous_listings")
    first, second = catalog.case_listings["ambiguous_listings"]
    assert isinstance(index.lookup(sku), Ambiguous)
    etsy.set_state(first, "expired")  # e.g. the seller replaced an old listing

    run = IndexPass(refreshed=True)  # this run has had its pass: only the read by id is left
    found = index.index_for({sku}, run)

    assert found.lookup(sku) == Found(second)
    assert [(r.kind, r.read) for r in run.done] == [(RefreshKind.CHECKED, 2)]
    assert run.changes.dropped == {first}


def test_a_low_quota_holds_refreshes_back_but_never_the_first_build(make_index, etsy, catalog):
    sku = sku_of(catalog, "unique")
    listing_id = listing_of(etsy, sku)
    index = make_index(policy=QuotaPolicy(reserve=200_000))  # always "low"
    built = index.refresh()
    assert [r.kind for r in built.done] == [RefreshKind.FULL]  # no index at all: built anyway
    etsy.sell(listing_id, sku, 1)
    etsy.reset_calls()

    found = index.index_for({"NOT-ON-ETSY"}, IndexPass(eager=True))

    assert api_calls(etsy) == []
    assert isinstance(found.lookup("NOT-ON-ETSY"), Missing)
    skipped = index.refresh()
    assert [r.kind for r in skipped.done] == [RefreshKind.SKIPPED]
    assert "not refreshed: only" in skipped.note() and "of 100,000 Etsy calls left today" in (
        skipped.note()
    )
    assert api_calls(etsy) == []
    with index.sessions() as session:
        stored = queries.etsy_quota(session, shop_id=index.shop_id)
    assert stored.limit_per_day == 100_000 and 0 < stored.remaining_today < 100_000


def test_a_refresh_does_not_wait_past_its_limit_for_another_worker(make_index, etsy):
    index = make_index()
    index.refresh()
    assert index.leases.take(f"sku-index:{index.shop_id}", "someone-else", hold_for=timedelta(1))
    etsy.reset_calls()

    busy = index.refresh()

    assert [(r.kind, r.why) for r in busy.done] == [
        (RefreshKind.SKIPPED, "another worker kept the index busy")
    ]
    assert api_calls(etsy) == []
