"""Double clicks and Slack's retries: the same request sent twice at once (two threads, as two
listener threads or two instances would run them) takes effect once: one TikTok or Etsy call,
one history entry, one alert update. Both backends (`database_url`)."""

import threading
from collections import Counter
from datetime import UTC, datetime

from sqlmodel import select

from commands.context import Actor, Context
from commands.execute import execute
from commands.types import Cancel, Map, MarkHandled, Restock, Retry
from storage import queries
from storage.db import transaction
from storage.models import Alert, SkuMapping
from storage.states import AlertKind, AlertState, EventKind
from tests.utils.catalog import stock

ADMIN = Actor("U0ADMIN", is_admin=True)
INVENTORY_PUT = "/inventory"


def twice_at_once(core, command) -> list:
    """The replies to `command` run by two threads released together."""
    start = threading.Barrier(2)
    replies, errors = [], []

    def run() -> None:
        start.wait()
        try:
            replies.append(execute(command, Context(core.services, ADMIN, confirmed=True)))
        except Exception as exc:  # what a listener would turn into "something went wrong"
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return replies


def history(core, order_id: str) -> Counter:
    services = core.services
    with services.sessions() as session:
        order = queries.order_by_tiktok_id(
            session, shop_id=services.shop_id, tiktok_order_id=order_id
        )
        return Counter(event.kind for event in queries.events_of(session, order_id=order.id))


def etsy_writes(shops) -> int:
    return sum(1 for c in shops.etsy.calls if c.method == "PUT" and c.path.endswith(INVENTORY_PUT))


def unique_sku(shops) -> str:
    return next(sku for sku in shops.catalog.cases["unique"] if stock(shops, sku) >= 3)


def listing_of(shops, sku: str) -> int:
    (listing_id,) = {listing for (listing, product_sku, _), _ in shops.etsy.quantities().items()
                     if product_sku == sku}  # fmt: skip
    return listing_id


def test_cancel_twice_at_once_cancels_once(core, shops):
    sku = unique_sku(shops)
    before = stock(shops, sku)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    core.services.engine.fetch()
    shops.tiktok.reset_calls()
    shops.etsy.reset_calls()

    replies = twice_at_once(core, Cancel(order_id, "out of stock"))

    assert sorted(reply.ok for reply in replies) == [False, True]
    cancels = [c for c in shops.tiktok.calls if c.path.endswith("/cancellations")]
    assert len(cancels) == 1
    events = history(core, order_id)
    assert (events[EventKind.CANCEL_REQUESTED], events[EventKind.CANCELLED]) == (1, 1)
    assert events[EventKind.RESTORED] == 1 and etsy_writes(shops) == 1
    assert stock(shops, sku) == before


def test_retry_twice_at_once_places_once(core, shops):
    low = shops.catalog.cases["low_stock"][0]
    units = stock(shops, low) + 1
    order_id = shops.tiktok.add_order(skus=[low] * units)["id"]
    core.services.engine.fetch()
    assert history(core, order_id)[EventKind.PLACEMENT_FAILED] == 1
    shops.etsy.set_quantity(listing_of(shops, low), low, units + 5)  # the seller restocked
    shops.etsy.reset_calls()

    replies = twice_at_once(core, Retry(order_id))

    assert sorted(reply.ok for reply in replies) == [False, True]
    events = history(core, order_id)
    assert (events[EventKind.RETRY], events[EventKind.PLACED]) == (1, 1)
    assert etsy_writes(shops) == 1
    assert stock(shops, low) == 5


def test_map_twice_at_once_maps_and_retries_once(core, shops):
    before = stock(shops, "TOTE-CANVAS")
    order_id = shops.tiktok.add_order(skus=["TT-TOTE-CANVAS"])["id"]
    core.services.engine.fetch()
    shops.etsy.reset_calls()

    replies = twice_at_once(core, Map("TT-TOTE-CANVAS", "TOTE-CANVAS"))
    # Each request settles after mapping; one that finds the stock busy leaves the order
    # queued for the next settle (a fetch), as this one.
    core.services.engine.try_settle()

    assert all(reply.ok for reply in replies)
    said = sorted("Retried 1 order" in reply.text for reply in replies)
    assert said == [False, True]  # the other: "No failed orders were waiting on it."
    with core.services.sessions() as session:
        rows = session.exec(select(SkuMapping)).all()
    assert [(row.tiktok_sku, row.etsy_sku) for row in rows] == [("TT-TOTE-CANVAS", "TOTE-CANVAS")]
    events = history(core, order_id)
    assert (events[EventKind.RETRY], events[EventKind.PLACED]) == (1, 1)
    assert etsy_writes(shops) == 1
    assert stock(shops, "TOTE-CANVAS") == before - 1


def test_restock_twice_at_once_gives_back_once(core, shops):
    sku = unique_sku(shops)
    before = stock(shops, sku)
    order_id = shops.tiktok.add_order(skus=[sku, sku], status="IN_TRANSIT")["id"]
    engine = core.services.engine
    engine.fetch()
    shops.tiktok.system_cancel(order_id, "package_lost")
    engine.refresh_orders([order_id])
    assert stock(shops, sku) == before - 2  # the parcel is not back yet
    shops.etsy.reset_calls()

    replies = twice_at_once(core, Restock(order_id))

    assert sorted(reply.ok for reply in replies) == [False, True]
    events = history(core, order_id)
    assert (events[EventKind.RESTOCK], events[EventKind.RESTORED]) == (1, 1)
    assert etsy_writes(shops) == 1
    assert stock(shops, sku) == before


def test_mark_handled_twice_at_once_marks_once(core, shops):
    order_id = shops.tiktok.add_order(skus=[unique_sku(shops)])["id"]
    core.services.engine.fetch()
    key = f"new_order:{order_id}"
    services = core.services
    with transaction(services.sessions) as session:
        order = queries.order_by_tiktok_id(
            session, shop_id=services.shop_id, tiktok_order_id=order_id
        )
        queries.insert_alerts(
            session,
            alerts=[
                Alert(
                    shop_id=services.shop_id,
                    key=key,
                    kind=AlertKind.NEW_ORDER,
                    order_id=order.id,
                    state=AlertState.POSTED,
                    channel="C0ALERTS",
                    ts="1700000000.000100",
                    created_at=datetime.now(UTC),
                )
            ],
        )
    updates = []
    core.alert_changed.connect(updates.append)  # the outbox would update the message

    replies = twice_at_once(core, MarkHandled(key))

    assert sorted(reply.ok for reply in replies) == [False, True]
    assert updates == [key]
    assert history(core, order_id)[EventKind.ALERT_HANDLED] == 1
    with services.sessions() as session:
        alert = queries.alert_by_key(session, key=key)
    assert (alert.state, alert.handled_by) == (AlertState.HANDLED, ADMIN.id)


def test_map_while_another_worker_holds_the_stock_says_the_orders_are_queued(core, shops):
    order_id = shops.tiktok.add_order(skus=["TT-TOTE-CANVAS"])["id"]
    engine = core.services.engine
    engine.fetch()
    busy = f"stock:{engine.shop_id}"
    assert engine.leases.take(busy, "another-worker", hold_for=engine.lease_for)

    reply = execute(Map("TT-TOTE-CANVAS", "TOTE-CANVAS"), Context(core.services, ADMIN))

    assert reply.ok
    assert "Retried 1 order: 0 placed, 0 still failed, 1 queued." in reply.text
    engine.leases.release(busy, "another-worker")
    assert history(core, order_id)[EventKind.PLACED] == 0
