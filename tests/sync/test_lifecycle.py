"""Moving orders refreshed without webhooks, and the completion sweep across the 14-day line,
decided once at the `now` the sweep is given, against the TikTok emulator (the engine's clock
is passed in; the emulator's runs in real time)."""

import time
from datetime import timedelta

from sqlmodel import select

from storage import queries
from storage.models import OrderEvent
from sync import lifecycle, sections
from sync.clock import from_unix
from sync.engine import Engine
from tests.utils.catalog import get_order_calls, unique_skus
from tests.utils.fakes import FakeClock

DAY = timedelta(days=1)


def engine_on(core, clock) -> Engine:
    """The test's engine with its own clock; its marketplace clients keep the real one (TikTok
    refuses requests signed far from its own time)."""
    services = core.services
    return Engine(
        sessions=services.sessions,
        shop_id=services.shop_id,
        tiktok=core.tiktok,
        etsy=core.etsy,
        clock=clock,
    )


def delivered_order(core, shops) -> tuple[str, int]:
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku], status="IN_TRANSIT")["id"]
    delivered_at = int(time.time()) - 60
    shops.tiktok.deliver(order_id, delivered_at)
    core.services.engine.fetch()
    assert core.services.engine.order(order_id).section == "delivered"
    return order_id, delivered_at


def auto_completed(core, order_id: str) -> list[OrderEvent]:
    order = core.services.engine.order(order_id)
    with core.services.sessions() as session:
        return list(
            session.exec(
                select(OrderEvent).where(
                    OrderEvent.order_id == order.id, OrderEvent.kind == "auto_completed"
                )
            )
        )


def test_the_sweep_completes_at_14_days_not_a_second_before(core, shops):
    order_id, delivered = delivered_order(core, shops)
    clock = FakeClock(from_unix(delivered) + 13 * DAY + timedelta(hours=23))
    engine = engine_on(core, clock)
    shops.tiktok.reset_calls()

    for before in (13 * DAY + timedelta(hours=23), 14 * DAY - timedelta(seconds=1)):
        clock.now = from_unix(delivered) + before
        report = lifecycle.sweep(engine, now=clock())
        assert (report.due, report.completed) == (0, 0)
        assert engine.order(order_id).section == "delivered"
    assert get_order_calls(shops) == []  # nothing due: nothing asked

    clock.now = from_unix(delivered) + 14 * DAY
    report = lifecycle.sweep(engine, now=clock())

    assert (report.due, report.completed, report.moved_on_tiktok) == (1, 1, [])
    done = engine.order(order_id)
    assert (done.section, done.tiktok_status) == ("completed", "DELIVERED")
    assert done.completed_at == clock.now
    assert len(get_order_calls(shops)) == 1  # re-read on TikTok first
    assert len(auto_completed(core, order_id)) == 1
    assert lifecycle.sweep(engine, now=clock()).completed == 0  # once


def test_the_sweep_follows_tiktok_when_the_order_moved_on(core, shops):
    order_id, delivered = delivered_order(core, shops)
    shops.tiktok.set_status(order_id, "COMPLETED")  # e.g. fully refunded; no fetch since
    clock = FakeClock(from_unix(delivered) + 15 * DAY)

    report = lifecycle.sweep(engine_on(core, clock), now=clock())

    assert report.moved_on_tiktok == [order_id] and report.completed == 0
    assert core.services.engine.order(order_id).tiktok_status == "COMPLETED"
    assert auto_completed(core, order_id) == []  # TikTok completed it, not the 14-day rule


def test_nothing_is_completed_when_tiktok_cannot_be_asked(core, shops):
    order_id, delivered = delivered_order(core, shops)
    clock = FakeClock(from_unix(delivered) + 15 * DAY)
    shops.tiktok.faults.update(error_rate=1.0)

    report = lifecycle.sweep(engine_on(core, clock), now=clock())

    shops.tiktok.faults.update(error_rate=0.0)
    assert report.error and report.completed == 0
    assert core.services.engine.order(order_id).section == "delivered"


def test_moving_orders_are_re_read_fifty_at_a_time(core, shops):
    fbt = {"fulfillment_type": "FULFILLMENT_BY_TIKTOK", "status": "IN_TRANSIT"}
    (sku,) = unique_skus(shops, 1)
    ids = [shops.tiktok.add_order(skus=[sku], **fbt)["id"] for _ in range(60)]
    engine = core.services.engine
    engine.fetch()
    for order_id in ids[:3]:
        shops.tiktok.deliver(order_id)  # no webhook URL: nobody is told
    shops.tiktok.reset_calls()

    report = lifecycle.refresh_moving(engine, now=engine.clock(), stale_after=timedelta(0))

    assert (report.asked, report.calls, report.error) == (60, 2, None)
    asked = [call.query["ids"].split(",") for call in get_order_calls(shops)]
    assert [len(batch) for batch in asked] == [50, 10]
    assert sorted(sum(asked, [])) == sorted(ids)
    assert [engine.order(i).section for i in ids[:3]] == ["delivered"] * 3
    assert engine.order(ids[3]).section == "in-transit"
    shops.tiktok.reset_calls()
    fresh = lifecycle.refresh_moving(engine, now=engine.clock(), stale_after=timedelta(minutes=15))
    assert fresh.asked == 0 and get_order_calls(shops) == []  # just read: not again


def test_the_14_day_rule_itself():
    start = from_unix(1_700_000_000)
    due = sections.is_auto_completed
    assert not due(start, start + 14 * DAY - timedelta(seconds=1), return_requested=False)
    assert due(start, start + 14 * DAY, return_requested=False)
    assert not due(start, start + 30 * DAY, return_requested=True)
    assert not due(None, start, return_requested=False)


def test_the_sweep_completes_what_is_due_at_its_own_now_not_the_engines_clock(core, shops):
    engine = core.services.engine  # its clock is the real one: the order is a minute old
    sku = shops.catalog.cases["unique"][0]
    order_id = shops.tiktok.add_order(skus=[sku], status="IN_TRANSIT")["id"]
    delivered = int(time.time()) - 60
    shops.tiktok.deliver(order_id, delivered)
    engine.fetch()
    now = from_unix(delivered) + timedelta(days=14)

    report = lifecycle.sweep(engine, now=now)

    assert (report.due, report.completed) == (1, 1)
    done = engine.order(order_id)
    assert (done.section, done.completed_at) == ("completed", now)
    with core.services.sessions() as session:
        assert queries.section_counts(session, shop_id=engine.shop_id) == (
            queries.recount_sections(session, shop_id=engine.shop_id)
        )
