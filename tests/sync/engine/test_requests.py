"""Returns, refunds and buyer cancellation requests followed from the TikTok emulator: each
fetch reads them, pushes re-read them, each is stored once, and the 14-day rule honours them."""

import time
from datetime import timedelta
from decimal import Decimal

from sqlmodel import select

from storage import queries
from storage.models import AfterSalesRequest, OrderEvent
from sync import lifecycle
from sync.clock import from_unix
from sync.engine import Engine, requests
from tests.utils.catalog import unique_skus
from tests.utils.fakes import FakeClock

DAY = timedelta(days=1)


def delivered(core, shops, n_items: int = 1) -> str:
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku] * n_items, status="IN_TRANSIT")["id"]
    shops.tiktok.deliver(order_id, int(time.time()) - 60)
    return order_id


def stored(core, request_id: str) -> AfterSalesRequest:
    return core.services.engine.request(request_id)


def all_requests(core) -> list[AfterSalesRequest]:
    with core.services.sessions() as session:
        return list(session.exec(select(AfterSalesRequest)))


def request_events(core, order_id: str) -> list[str]:
    order = core.services.engine.order(order_id)
    with core.services.sessions() as session:
        events = session.exec(
            select(OrderEvent).where(OrderEvent.order_id == order.id, OrderEvent.kind == "request")
        )
        return [event.detail for event in events]


def test_a_fetch_stores_a_request_once_with_what_the_seller_needs(core, shops):
    order_id = delivered(core, shops)
    core.services.engine.fetch()
    opened = shops.tiktok.open_return(order_id, "REFUND")
    engine = core.services.engine

    engine.fetch()
    engine.fetch()

    (row,) = all_requests(core)
    assert row.request_id == opened["return_id"] and row.tiktok_order_id == order_id
    assert (row.kind, row.status, row.is_open) == (
        "refund",
        "RETURN_OR_REFUND_REQUEST_PENDING",
        True,
    )
    assert row.amount == Decimal(opened["refund_amount"]["refund_total"])
    assert row.currency == "USD" and row.reason
    assert row.deadline is not None and row.seller_action == "SELLER_RESPOND_REFUND"
    assert [line["order_line_item_id"] for line in row.lines()] == [
        line["order_line_item_id"] for line in opened["return_line_items"]
    ]
    assert len(row.entries()) == 1 and len(request_events(core, order_id)) == 1
    order = engine.order(order_id)
    assert order.return_requested and order.return_state == "return_requested"


def test_an_open_request_keeps_the_order_from_auto_completing(core, shops):
    order_id = delivered(core, shops)
    core.services.engine.fetch()
    shops.tiktok.open_return(order_id, "RETURN_AND_REFUND")  # no push: nobody is told
    clock = FakeClock(core.services.engine.clock() + 15 * DAY)
    engine = Engine(
        sessions=core.services.sessions,
        shop_id=core.services.shop_id,
        tiktok=core.tiktok,
        etsy=core.etsy,
        clock=clock,
    )

    report = lifecycle.sweep(engine, now=clock())

    assert report.completed == 0  # the sweep read the order's requests first
    order = engine.order(order_id)
    assert order.section == "delivered" and order.return_state == "return_requested"


def test_a_withdrawn_request_lets_the_rule_apply_again(core, shops):
    order_id = delivered(core, shops)
    core.services.engine.fetch()
    opened = shops.tiktok.open_return(order_id, "REFUND")
    core.services.engine.fetch()
    shops.tiktok.withdraw_return(opened["return_id"])

    core.services.engine.follow_requests([order_id])  # what a type-12 push asks for

    row = stored(core, opened["return_id"])
    assert not row.is_open and row.status == "RETURN_OR_REFUND_REQUEST_CANCEL"
    assert [e["status"] for e in row.entries()] == [
        "RETURN_OR_REFUND_REQUEST_PENDING",
        "RETURN_OR_REFUND_REQUEST_CANCEL",
    ]
    order = core.services.engine.order(order_id)
    assert not order.return_requested and order.return_state is None
    with core.services.sessions() as session:
        due = lifecycle.due_for_completion(
            session,
            shop_id=core.services.shop_id,
            now=from_unix(int(time.time())) + 15 * DAY,
            limit=10,
        )
    assert order_id in {o.tiktok_order_id for o in due}


def test_a_request_on_an_order_never_fetched_brings_the_order_in(core, shops):
    order_id = delivered(core, shops)  # not fetched yet: its update time is before the cursor
    opened = shops.tiktok.open_return(order_id, "REFUND")

    core.services.engine.follow_requests([order_id])

    assert stored(core, opened["return_id"]).tiktok_order_id == order_id
    assert core.services.engine.order(order_id).return_state == "return_requested"


def test_a_pending_buyer_cancellation_is_followed_and_closed(core, shops):
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    engine = core.services.engine
    engine.fetch()
    request = shops.tiktok.buyer_cancel(order_id, pending=True)

    engine.fetch()

    row = stored(core, request["cancel_id"])
    assert (row.kind, row.is_open, row.tiktok_order_id) == ("cancellation", True, order_id)
    assert row.deadline is not None
    assert engine.order(order_id).return_state is None  # a cancellation is not a return
    with core.services.sessions() as session:
        assert queries.count_open_requests(session, shop_id=core.services.shop_id) == 1

    shops.tiktok.buyer_cancel(order_id)  # TikTok approves it (the buyer insists)
    engine.fetch()

    assert not stored(core, request["cancel_id"]).is_open
    assert engine.order(order_id).section == "cancelled"


def test_an_older_view_never_undoes_a_newer_one(core, shops):
    order_id = delivered(core, shops)
    core.services.engine.fetch()
    opened = shops.tiktok.open_return(order_id, "REFUND")
    core.services.engine.fetch()
    shops.tiktok.withdraw_return(opened["return_id"])
    core.services.engine.follow_requests([order_id])
    row = stored(core, opened["return_id"])

    stale = requests.Seen(
        request_id=row.request_id,
        tiktok_order_id=order_id,
        kind=row.kind,
        status="RETURN_OR_REFUND_REQUEST_PENDING",
        is_open=True,
        refunded=False,
        seller_action="SELLER_RESPOND_REFUND",
        deadline=None,
        role="BUYER",
        reason_key=None,
        reason=None,
        amount=None,
        currency="",
        lines=(),
        opened_at=row.opened_at,
        updated_at=row.updated_at - timedelta(seconds=5),
    )
    requests.store(core.services.engine.ctx, [stale])

    assert not stored(core, opened["return_id"]).is_open
