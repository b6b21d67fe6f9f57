"""Failed placements that arrive together: one alert per problem, in words, with one action that
fixes them all (Map SKU…, Retry all) and View all; updated in place as the orders get fixed. And
the words and buttons every alert shares: Map only for SKUs that failed, one button order, the
summary's window."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from commands import actions
from commands.alerts import content_of
from commands.context import Actor, Context
from commands.execute import execute
from commands.replies import Actions, Heading, Paragraph, Table
from commands.types import Map, RetryAll, ViewAllFailed
from orderbot.autopilot import build_outbox
from storage.models import Order, OrderLine
from sync.alerts import AlertView
from tests.utils.catalog import stock

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
ADMIN = Actor("U0ADMIN", is_admin=True)
GUEST = Actor("U0GUEST", is_admin=False)


def order(n: int, **changes) -> Order:
    values = {
        "id": n,
        "shop_id": 1,
        "tiktok_order_id": f"5764600000000000{n:02d}",
        "tiktok_status": "AWAITING_SHIPMENT",
        "section": "failed",
        "placement": "failed",
        "failure_reason": "sku_unmatched",
        "fulfilled_by": "SELLER",
        "total_amount": Decimal("9.50"),
        "currency": "USD",
        "created_at": NOW - timedelta(hours=1),
        "updated_at": NOW,
        "synced_at": NOW,
    }
    return Order(**{**values, **changes})


def group(n: int = 7, *, failing: int | None = None, reason="sku_unmatched", skus=("TT-MUG-BLUE",)):
    return AlertView(
        key="placement_failures:20260504T120000.000000Z.576460000000000000",
        kind="placement_failures",
        state="posted",
        handled_by=None,
        members=[order(i) for i in range(min(n, 10))],
        member_count=n,
        failure_reason=reason,
        failure_detail="no Etsy listing has SKU TT-MUG-BLUE",
        failed_skus=skus,
        failing=n if failing is None else failing,
    )


def button_ids(reply) -> list[str]:
    return [
        b.action_id for block in reply.blocks if isinstance(block, Actions) for b in block.buttons
    ]


def buttons(reply) -> list:
    return [b for block in reply.blocks if isinstance(block, Actions) for b in block.buttons]


def test_a_group_says_how_many_failed_on_what_with_one_fix_and_view_all():
    reply = content_of(group())
    assert reply.text == "7 orders could not be placed: SKU TT-MUG-BLUE is on no Etsy listing"
    assert [b.text for b in reply.blocks if isinstance(b, Heading)] == [
        "7 orders could not be placed on Etsy"
    ]
    assert button_ids(reply) == [actions.RETRY_ALL, actions.MAP_SKU_START, actions.VIEW_ALL_FAILED]
    retry, mapping, view_all = buttons(reply)
    assert retry.value == view_all.value == group().key and mapping.value == "TT-MUG-BLUE"
    (table,) = [b for b in reply.blocks if isinstance(b, Table)]
    assert len(table.rows) == 7


@pytest.mark.parametrize(
    ("reason", "skus", "words", "maps"),
    [
        ("sku_ambiguous", ("CANDLE-SOY",), "SKU CANDLE-SOY matches more than one Etsy product", 1),
        ("sku_unmatched", ("A", "B"), "SKUs A, B are on no Etsy listing", 2),
        ("insufficient_stock", ("PIN-SOLDOUT",), "not enough Etsy stock of PIN-SOLDOUT", 0),
        ("etsy_error", (), "etsy_error: no Etsy listing has SKU TT-MUG-BLUE", 0),
    ],
)
def test_each_reason_in_words_and_map_only_where_a_mapping_fixes_it(reason, skus, words, maps):
    reply = content_of(group(3, reason=reason, skus=skus))
    assert reply.text == f"3 orders could not be placed: {words}"
    assert button_ids(reply).count(actions.MAP_SKU_START) == maps
    assert (
        button_ids(reply)[0] == actions.RETRY_ALL
        and button_ids(reply)[-1] == actions.VIEW_ALL_FAILED
    )


def test_a_group_shows_how_many_still_fail_and_drops_its_fixes_when_none_do():
    some = content_of(group(7, failing=2))
    assert "5 of 7 no longer fail; 2 still do." in [
        b.text for b in some.blocks if isinstance(b, Paragraph)
    ]
    none = content_of(group(7, failing=0))
    assert "None of the 7 fails any more." in [
        b.text for b in none.blocks if isinstance(b, Paragraph)
    ]
    assert button_ids(none) == [actions.VIEW_ALL_FAILED]


def test_a_single_failure_offers_map_only_for_the_skus_that_failed():
    lines = [
        OrderLine(id=1, order_id=1, tiktok_line_id="L1", sku_id="S1", seller_sku="RING-00012"),
        OrderLine(id=2, order_id=1, tiktok_line_id="L2", sku_id="S2", seller_sku="TT-GHOST-1"),
    ]
    view = AlertView(
        key="placement_failed:576460000000000001",
        kind="placement_failed",
        state="posted",
        handled_by=None,
        order=order(1, failure_detail="no Etsy listing has SKU TT-GHOST-1"),
        lines=lines,
        failure_reason="sku_unmatched",
        failed_skus=("TT-GHOST-1",),
    )
    reply = content_of(view)
    maps = [b.value for b in buttons(reply) if b.action_id == actions.MAP_SKU_START]
    assert maps == ["TT-GHOST-1"]
    assert button_ids(reply) == [
        actions.RETRY_PLACEMENT,
        actions.MAP_SKU_START,
        actions.CANCEL_START,
        actions.VIEW_ORDER,
    ]


def test_a_summary_says_its_window():
    view = AlertView(
        key="new_orders:x",
        kind="new_orders",
        state="posted",
        handled_by=None,
        members=[order(i, placement="placed") for i in range(3)],
        member_count=26,
        window=timedelta(hours=48),
    )
    assert content_of(view).text == "26 new TikTok orders in the last 48 h"


# --- against the core on the marketplace emulators --------------------------------------


class Channel:
    """Keeps each alert's Reply by key, as posted and as last updated."""

    channel = "C0ALERTS"

    def __init__(self):
        self.posted: dict[str, object] = {}
        self.updated: dict[str, object] = {}

    def render(self, reply):
        return reply

    def post(self, reply, *, key):
        self.posted[key] = reply
        return self.channel, str(len(self.posted))

    def update(self, channel, ts, reply, *, key):
        self.updated[key] = reply

    def find(self, keys, *, since):
        return {}


def run(core, command, actor=ADMIN):
    return execute(command, Context(core.services, actor, confirmed=True))


def test_a_mapping_fixes_the_whole_group_and_its_message_says_so(core, shops):
    ids = [shops.tiktok.add_order(skus=["TT-TOTE-CANVAS"])["id"] for _ in range(3)]
    core.services.engine.fetch()
    channel = Channel()
    outbox = build_outbox(core.services, channel)

    (key,) = outbox.dispatch().posted
    reply = channel.posted[key]
    assert reply.text == "3 orders could not be placed: SKU TT-TOTE-CANVAS is on no Etsy listing"
    (mapping,) = [b for b in buttons(reply) if b.action_id == actions.MAP_SKU_START]
    assert mapping.value == "TT-TOTE-CANVAS"

    mapped = run(core, Map("TT-TOTE-CANVAS", "TOTE-CANVAS"))
    assert mapped.ok and "Retried 3 orders: 3 placed" in mapped.text
    report = outbox.dispatch()

    assert report.updated == [key] and report.posted == []  # fixed in place, no new alert
    now = channel.updated[key]
    assert "None of the 3 fails any more." in [
        b.text for b in now.blocks if isinstance(b, Paragraph)
    ]
    assert button_ids(now) == [actions.VIEW_ALL_FAILED]
    listed = run(core, ViewAllFailed(key), GUEST)  # anyone may look
    (table,) = [b for b in listed.blocks if isinstance(b, Table)]
    assert sorted(row[0] for row in table.rows) == sorted(ids)
    assert {row[3] for row in table.rows} == {"stock reserved"}


def test_retry_all_places_every_order_still_failing_once_and_is_for_admins(core, shops):
    ids = [shops.tiktok.add_order(skus=["PIN-SOLDOUT"])["id"] for _ in range(2)]
    core.services.engine.fetch()
    channel = Channel()
    outbox = build_outbox(core.services, channel)
    (key,) = outbox.dispatch().posted
    assert channel.posted[key].text == (
        "2 orders could not be placed: not enough Etsy stock of PIN-SOLDOUT"
    )

    refused = run(core, RetryAll(key), GUEST)
    assert not refused.ok and refused.text.startswith("Only orderbot admins can retry")
    listing = next(k[0] for k in shops.etsy.quantities() if k[1] == "PIN-SOLDOUT")
    shops.etsy.set_quantity(listing, "PIN-SOLDOUT", 5)  # the seller restocked on Etsy

    done = run(core, RetryAll(key))
    again = run(core, RetryAll(key))  # a second click

    assert done.ok and done.public and done.text == "Retried 2 orders: 2 placed, 0 still failed."
    assert not again.ok and "fails any more" in again.text
    assert all(core.services.engine.order(i).placement == "placed" for i in ids)
    assert stock(shops, "PIN-SOLDOUT") == 3  # two units reserved, once each
    assert outbox.dispatch().updated == [key]
    assert not run(core, RetryAll("placement_failures:nope")).ok
