"""The alert outbox through `bot.alerts.SlackPoster`, the channel `orderbot run` gives it:
alerts for the real core's orders on the marketplace sandboxes, posted to the Slack sandbox."""

from datetime import timedelta

from commands import actions
from commands.context import Actor, Context
from commands.execute import execute
from commands.replies import Table
from commands.types import ViewAllNew
from orderbot.autopilot import build_outbox
from storage import queries
from storage.models import Alert
from storage.states import AlertState
from sync.alerts import PostRefused
from tests.utils.catalog import unique_skus
from tests.utils.ids import ADMIN, ALERT_CHANNEL
from tests.utils.slack_messages import alerts, button_ids, words


def buyer_data(shops) -> set[str]:
    """Buyer contact data the TikTok sandbox holds (addresses, phones, e-mails, names)."""
    found: set[str] = set()
    for order in shops.tiktok.orders():
        if order.get("buyer_email"):
            found.add(order["buyer_email"])
        address = order.get("recipient_address") or {}
        for name in ("name", "phone_number", "full_address", "address_detail", "address_line1"):
            value = address.get(name)
            if isinstance(value, str) and len(value) >= 6 and "*" not in value:
                found.add(value)
    return found


def stored_alert(core, key: str) -> Alert:
    with core.services.sessions() as session:
        return queries.alert_by_key(session, key=key)


def test_a_new_and_a_failed_order_each_get_one_alert_and_none_repeats(
    core, shops, slack_api, poster
):
    (sku,) = unique_skus(shops, 1)
    fine = shops.tiktok.add_order(skus=[sku])["id"]
    failing = shops.tiktok.add_order(skus=["TT-GHOST-1"])["id"]
    core.services.engine.fetch()

    first = build_outbox(core.services, poster).dispatch()

    assert sorted(first.posted) == sorted([f"new_order:{fine}", f"placement_failed:{failing}"])
    posted = alerts(slack_api)
    assert len(posted) == 2
    (new,) = [m for m in posted if fine in m.text]
    (failed,) = [m for m in posted if failing in m.text]
    assert button_ids(new) == [actions.SHIP_START, actions.CANCEL_START, actions.VIEW_ORDER]
    assert {actions.RETRY_PLACEMENT, actions.MAP_SKU_START, actions.CANCEL_START} <= set(
        button_ids(failed)
    )
    assert "SKU not on Etsy" in words(failed) and "TT-GHOST-1" in words(failed)
    assert stored_alert(core, f"new_order:{fine}").ts == new.ts

    again = build_outbox(core.services, poster).dispatch()  # a restart: a new dispatcher, same DB
    assert again.posted == [] and again.updated == []
    assert len(slack_api.calls("chat.postMessage")) == 2
    assert not slack_api.calls("chat.update")
    everything = "".join(words(m) for m in alerts(slack_api))
    assert not any(value in everything for value in buyer_data(shops))


def test_a_cancel_updates_the_alert_in_place(core, shops, slack_api, poster):
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    engine = core.services.engine
    engine.fetch()
    dispatcher = build_outbox(core.services, poster)
    dispatcher.dispatch()
    (before,) = alerts(slack_api)

    engine.cancel(order_id, "seller_cancel_reason_out_of_stock", actor=ADMIN)
    report = dispatcher.dispatch()

    assert report.updated == [f"new_order:{order_id}"] and report.posted == []
    (after,) = alerts(slack_api)  # the same message, edited
    assert after.ts == before.ts and after.edits == 1
    (update,) = slack_api.calls("chat.update")
    assert update.body["ts"] == before.ts and update.body["channel"] == ALERT_CHANNEL
    mentions = [b for b in after.blocks if b["type"] == "context"]
    assert any(
        f"Cancelled by <@{ADMIN}>: Out of stock" in e["text"]
        for b in mentions
        for e in b["elements"]
    )
    assert actions.CANCEL_START not in button_ids(after)  # nothing left to cancel
    assert dispatcher.dispatch().updated == []  # unchanged since: no further edit


def test_many_new_orders_make_one_summary_and_later_ones_a_new_one(core, shops, slack_api, poster):
    skus = unique_skus(shops, 3)
    first_wave = [shops.tiktok.add_order(skus=[skus[i % 3]])["id"] for i in range(7)]
    engine = core.services.engine
    engine.fetch()
    dispatcher = build_outbox(core.services, poster)

    report = dispatcher.dispatch()

    (summary,) = alerts(slack_api)
    assert len(report.posted) == 1 and report.posted[0].startswith("new_orders:")
    assert button_ids(summary) == [actions.VIEW_ALL_NEW]
    assert "7 new TikTok orders in the last 48 h" in summary.text
    second_wave = [shops.tiktok.add_order(skus=[skus[0]])["id"] for _ in range(2)]
    engine.fetch()
    later = dispatcher.dispatch()
    (again,) = later.posted
    assert again.startswith("new_orders:") and later.updated == []  # news: a new message
    first, second = alerts(slack_api)
    assert "7 new TikTok orders" in first.text and first.edits == 0
    assert "2 new TikTok orders" in second.text
    assert not slack_api.calls("chat.update")
    assert build_outbox(core.services, poster).dispatch().posted == []  # each order is covered once

    view = execute(
        ViewAllNew(report.posted[0]), Context(core.services, Actor("U0SOMEONE", is_admin=False))
    )
    (table,) = [block for block in view.blocks if isinstance(block, Table)]
    assert view.ok and sorted(row[0] for row in table.rows) == sorted(first_wave)
    other = execute(ViewAllNew(again), Context(core.services, Actor("U1", is_admin=False)))
    (table,) = [block for block in other.blocks if isinstance(block, Table)]
    assert sorted(row[0] for row in table.rows) == sorted(second_wave)
    unknown = execute(ViewAllNew("new_orders:nope"), Context(core.services, Actor("U1", False)))
    assert not unknown.ok


def test_a_buyer_cancellation_says_what_was_restocked(core, shops, slack_api, poster):
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku, sku])["id"]
    engine = core.services.engine
    engine.fetch()
    dispatcher = build_outbox(core.services, poster)
    dispatcher.dispatch()

    shops.tiktok.buyer_cancel(order_id)
    engine.refresh_orders([order_id])
    report = dispatcher.dispatch()

    assert report.posted == [f"order_cancelled:{order_id}"]
    assert report.updated == [f"new_order:{order_id}"]
    new, cancelled = alerts(slack_api)
    assert "cancelled by the buyer" in cancelled.text
    assert f"given back: {sku} ×2" in words(cancelled)
    assert "Cancelled by the buyer" in words(new)
    assert not any(value in words(cancelled) for value in buyer_data(shops))


def test_a_failed_delivery_offers_restock_and_mark_handled(core, shops, slack_api, poster):
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku], status="IN_TRANSIT")["id"]
    engine = core.services.engine
    engine.fetch()
    dispatcher = build_outbox(core.services, poster)
    dispatcher.dispatch()

    shops.tiktok.system_cancel(order_id, "returned_to_shipper_refused")
    engine.refresh_orders([order_id])
    report = dispatcher.dispatch()

    assert report.posted == [f"delivery_failed:{order_id}"]
    failed = next(m for m in alerts(slack_api) if m.text.startswith("Delivery failed"))
    assert button_ids(failed) == [actions.RESTOCK, actions.MARK_HANDLED, actions.VIEW_ORDER]
    assert "Returned to sender" in words(failed)
    assert dispatcher.dispatch().posted == []


def test_a_refused_post_is_tried_again_later_and_posted_once(core, shops, slack_api, poster):
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    core.services.engine.fetch()
    dispatcher = build_outbox(core.services, poster)
    slack_api.refuse_channel(ALERT_CHANNEL, "not_in_channel")

    refused = dispatcher.dispatch()

    key = f"new_order:{order_id}"
    assert refused.refused == [key] and refused.posted == []
    assert stored_alert(core, key).state == AlertState.PENDING
    slack_api.reset()  # the bot was invited to the channel
    now = core.services.clock()
    assert dispatcher.dispatch(now).posted == []  # too soon
    assert dispatcher.dispatch(now + timedelta(seconds=31)).posted == [key]
    assert dispatcher.dispatch(now + timedelta(minutes=5)).posted == []
    assert len(alerts(slack_api)) == 1 and stored_alert(core, key).state == AlertState.POSTED


class RefusingOnce:
    """A poster whose first update Slack refuses (rate limited)."""

    def __init__(self, poster):
        self._poster = poster
        self.channel = poster.channel
        self.refused = 0

    def render(self, reply):
        return self._poster.render(reply)

    def post(self, payload, *, key):
        return self._poster.post(payload, key=key)

    def update(self, channel, ts, payload, *, key):
        if not self.refused:
            self.refused += 1
            raise PostRefused("ratelimited")
        self._poster.update(channel, ts, payload, key=key)


def test_a_refused_update_is_tried_again_on_the_next_run(core, shops, slack_api, poster):
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    engine = core.services.engine
    engine.fetch()
    flaky = RefusingOnce(poster)
    dispatcher = build_outbox(core.services, flaky)
    dispatcher.dispatch()
    engine.cancel(order_id, "seller_cancel_reason_wrong_price", actor=ADMIN)

    assert dispatcher.dispatch().updated == [] and flaky.refused == 1
    assert dispatcher.dispatch().updated == [f"new_order:{order_id}"]  # no new event needed
    (message,) = alerts(slack_api)
    assert "Pricing error" in words(message) and message.edits == 1
