"""Review finding 2: a cancel claim left by a process that died mid-cancel never blocks the
order. The claim is left as a crash leaves it (the row claimed, the history saying it was asked,
TikTok's call made or not), dated past `CANCEL_CLAIM_EXPIRES_AFTER`; then a new request, a
fetch or the refresh job settles it from TikTok."""

import threading
from datetime import timedelta

import pytest

from bot.jobs import JobContext, refresh_job
from bot.schedule import Schedule
from commands.context import Actor, Context
from commands.execute import execute
from commands.replies import KeyValues
from commands.types import Cancel, Show
from storage import queries
from storage.db import transaction
from storage.states import EventKind
from sync.clock import utc_now
from sync.engine.cancel_claims import CANCEL_CLAIM_EXPIRES_AFTER
from sync.http import MAX_RETRY_AFTER_S
from sync.tiktok.client import LONGEST_CALL, MAX_ATTEMPTS
from tests.utils.catalog import stock

ADMIN = Actor("U0ADMIN", is_admin=True)
OTHER = Actor("U0OTHER", is_admin=True)
OUT_OF_STOCK = "seller_cancel_reason_out_of_stock"


def placed_order(core, shops) -> tuple[str, str, int]:
    """An order placed on Etsy: (its id, its SKU, that SKU's stock before it)."""
    sku = next(s for s in shops.catalog.cases["unique"] if stock(shops, s) >= 3)
    before = stock(shops, sku)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    assert core.services.engine.fetch().placed == 1
    return order_id, sku, before


def leave_claim(core, order_id: str, *, age: timedelta, tiktok_cancelled: bool) -> None:
    """What a cancel killed mid-way leaves: the claim and its history entry, `age` old, and
    TikTok's cancel made (its answer lost) or never made (a 429 was being waited out)."""
    services = core.services
    asked_at = utc_now() - age
    with transaction(services.sessions) as session:
        order = queries.order_by_tiktok_id(
            session, shop_id=services.shop_id, tiktok_order_id=order_id
        )
        assert queries.claim_cancel(session, order_id=order.id, actor=ADMIN.id, now=asked_at)
        queries.add_event(
            session,
            order_id=order.id,
            at=asked_at,
            actor=ADMIN.id,
            kind=EventKind.CANCEL_REQUESTED,
            detail=OUT_OF_STOCK,
        )
    if tiktok_cancelled:
        core.tiktok.cancel_order(order_id, OUT_OF_STOCK)


STALE = CANCEL_CLAIM_EXPIRES_AFTER + timedelta(minutes=1)


def stored(core, order_id: str):
    services = core.services
    with services.sessions() as session:
        order = queries.order_by_tiktok_id(
            session, shop_id=services.shop_id, tiktok_order_id=order_id
        )
        events = sorted(queries.events_of(session, order_id=order.id), key=lambda e: e.id)
    return order, [(e.kind, e.actor) for e in events if e.kind.startswith("cancel")]


def tiktok_cancels(shops) -> int:
    return sum(
        1
        for call in shops.tiktok.calls
        if call.path.endswith("/cancellations") and call.status == 200
    )


def cancel(core, order_id: str, actor: Actor = ADMIN):
    return execute(Cancel(order_id, "out of stock"), Context(core.services, actor, confirmed=True))


def test_the_expiry_is_the_longest_a_cancel_call_can_take():
    assert timedelta(seconds=(MAX_ATTEMPTS - 1) * MAX_RETRY_AFTER_S) <= LONGEST_CALL
    assert CANCEL_CLAIM_EXPIRES_AFTER > LONGEST_CALL


def test_a_fresh_claim_still_refuses_a_second_cancel(core, shops):
    order_id, _, _ = placed_order(core, shops)
    leave_claim(core, order_id, age=timedelta(minutes=1), tiktok_cancelled=False)

    reply = cancel(core, order_id, OTHER)

    assert not reply.ok and "already being cancelled (asked by U0ADMIN" in reply.text
    assert "checked with TikTok from" in reply.text
    assert tiktok_cancels(shops) == 0
    order, _ = stored(core, order_id)
    assert order.cancel_requested_by == ADMIN.id


def test_a_new_request_releases_a_stale_claim_tiktok_never_acted_on_and_cancels(core, shops):
    order_id, sku, before = placed_order(core, shops)
    leave_claim(core, order_id, age=STALE, tiktok_cancelled=False)

    reply = cancel(core, order_id, OTHER)

    assert reply.ok, reply.text
    assert tiktok_cancels(shops) == 1
    order, history = stored(core, order_id)
    assert (order.section, order.placement) == ("cancelled", "restored")
    assert history == [
        (EventKind.CANCEL_REQUESTED, ADMIN.id),
        (EventKind.CANCEL_FAILED, "orderbot"),  # the interrupted one, released
        (EventKind.CANCEL_REQUESTED, OTHER.id),
        (EventKind.CANCELLED, OTHER.id),
    ]
    assert stock(shops, sku) == before


def test_a_new_request_records_a_stale_claim_that_went_through(core, shops):
    order_id, sku, before = placed_order(core, shops)
    leave_claim(core, order_id, age=STALE, tiktok_cancelled=True)

    reply = cancel(core, order_id, OTHER)

    assert reply.ok, reply.text
    assert tiktok_cancels(shops) == 1  # the interrupted request's, and no other
    order, history = stored(core, order_id)
    assert (order.section, order.placement) == ("cancelled", "restored")
    assert history == [
        (EventKind.CANCEL_REQUESTED, ADMIN.id),
        (EventKind.CANCELLED, ADMIN.id),  # who asked it
    ]
    assert stock(shops, sku) == before
    again = cancel(core, order_id, OTHER)
    assert not again.ok and tiktok_cancels(shops) == 1


def test_a_fetch_releases_a_stale_claim_so_a_new_cancel_may_take_it(core, shops):
    order_id, _, _ = placed_order(core, shops)
    leave_claim(core, order_id, age=STALE, tiktok_cancelled=False)

    assert core.services.engine.fetch().error is None

    order, history = stored(core, order_id)
    assert order.cancel_requested_at is None and order.placement == "placed"
    assert history == [
        (EventKind.CANCEL_REQUESTED, ADMIN.id),
        (EventKind.CANCEL_FAILED, "orderbot"),
    ]
    assert cancel(core, order_id, OTHER).ok and tiktok_cancels(shops) == 1


def test_a_fetch_gives_back_the_stock_of_a_stale_claim_that_went_through(core, shops):
    order_id, sku, before = placed_order(core, shops)
    leave_claim(core, order_id, age=STALE, tiktok_cancelled=True)

    assert core.services.engine.fetch().error is None

    order, _ = stored(core, order_id)
    assert (order.section, order.placement) == ("cancelled", "restored")
    assert stock(shops, sku) == before
    with core.services.sessions() as session:
        cutoff = utc_now() - CANCEL_CLAIM_EXPIRES_AFTER
        assert not queries.stale_cancel_claims(
            session, shop_id=core.services.shop_id, cutoff=cutoff, limit=10
        )


@pytest.mark.parametrize("tiktok_cancelled", [False, True], ids=["never-sent", "went-through"])
def test_the_refresh_job_settles_a_stale_claim(core, shops, tiktok_cancelled):
    order_id, sku, before = placed_order(core, shops)
    leave_claim(core, order_id, age=STALE, tiktok_cancelled=tiktok_cancelled)
    jobs = JobContext(engine=core.services.engine, schedule=Schedule(), clock=utc_now)

    refresh_job(jobs)

    order, history = stored(core, order_id)
    if tiktok_cancelled:
        assert (order.section, order.placement) == ("cancelled", "restored")
        assert history[-1] == (EventKind.CANCELLED, ADMIN.id)
        assert stock(shops, sku) == before
    else:
        assert order.cancel_requested_at is None and order.section == "awaiting-shipment"
        assert history[-1] == (EventKind.CANCEL_FAILED, "orderbot")
        assert stock(shops, sku) == before - 1


def test_two_workers_settle_one_stale_claim_once(core, shops):
    order_id, _, _ = placed_order(core, shops)
    leave_claim(core, order_id, age=STALE, tiktok_cancelled=False)
    engine = core.services.engine
    start = threading.Barrier(2)
    results = []

    def settle():
        start.wait()
        results.append(engine.settle_cancel_claims())

    threads = [threading.Thread(target=settle) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(r.released for r in results) == [0, 1]
    _, history = stored(core, order_id)
    assert history.count((EventKind.CANCEL_FAILED, "orderbot")) == 1


def test_show_tells_an_open_claim(core, shops):
    order_id, _, _ = placed_order(core, shops)
    leave_claim(core, order_id, age=timedelta(minutes=2), tiktok_cancelled=False)

    reply = execute(Show(order_id), Context(core.services, ADMIN))

    facts = dict(next(block for block in reply.blocks if isinstance(block, KeyValues)).items)
    assert facts["Cancel asked"].startswith("by U0ADMIN at ")
    assert "checked with TikTok from" in facts["Cancel asked"]
