"""The outbox on a real database, with a channel and render functions of the test's own (no
Slack, no words): what it hands the channel, what it records, refusals, summaries found by their
`batch_key`, the digest, and Mark handled; and, on the real core and the Slack sandbox, that an
alert run asked for during another waits for it (the outbox's lock)."""

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from orderbot.autopilot import build_outbox
from storage import queries
from storage.db import transaction
from storage.models import Alert, Order, OrderEvent
from storage.states import AlertState, EventKind
from sync.alerts import AlertRules, Outbox, PostRefused, fingerprint, load_summary, mark_handled
from tests.utils.catalog import unique_skus
from tests.utils.ids import ADMIN
from tests.utils.slack_messages import alerts, words

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
_ids = count(1)


class Channel:
    """Records what it is sent; refuses everything while `refusing` names an error."""

    channel = "C0ALERTS"

    def __init__(self):
        self.posts: list[dict] = []
        self.updates: list[tuple[str, str, dict]] = []
        self.refusing: str | None = None

    def post(self, payload, *, key):
        if self.refusing:
            raise PostRefused(self.refusing)
        self.posts.append(payload)
        return self.channel, f"{len(self.posts)}.000"

    def update(self, channel, ts, payload, *, key):
        if self.refusing:
            raise PostRefused(self.refusing)
        self.updates.append((channel, ts, payload))


def render(view) -> dict:
    return {
        "key": view.key,
        "state": view.state,
        "order": view.order.tiktok_order_id if view.order else None,
        "members": [o.tiktok_order_id for o in view.members],
        "count": view.member_count,
        "handled_by": view.handled_by,
    }


def render_digest(view) -> dict:
    return {"day": view.day, "failed": [o.tiktok_order_id for o in view.failed]}


@pytest.fixture
def shop_id(sessions) -> int:
    with transaction(sessions) as session:
        return queries.ensure_shop(session, name="shop", etsy_shop_id="1").id


def add_orders(sessions, shop_id: int, n: int, *, at: datetime = NOW, **changes) -> list[str]:
    ids = []
    with transaction(sessions) as session:
        for i in range(n):
            tiktok_id = f"5764600000{next(_ids):08d}"
            values = {
                "shop_id": shop_id,
                "tiktok_order_id": tiktok_id,
                "tiktok_status": "AWAITING_SHIPMENT",
                "section": "awaiting-shipment",
                "placement": "placed",
                "fulfilled_by": "SELLER",
                "total_amount": Decimal("9.50"),
                "currency": "USD",
                "created_at": at - timedelta(minutes=10, seconds=n - i),  # oldest first
                "updated_at": at,
                "synced_at": at,
            }
            session.add(Order(**{**values, **changes}))
            ids.append(tiktok_id)
    return ids


def outbox(sessions, shop_id, channel, **rules) -> Outbox:
    return Outbox(
        sessions=sessions,
        shop_id=shop_id,
        poster=channel,
        clock=lambda: NOW,
        render=render,
        render_digest=render_digest,
        rules=AlertRules(**rules),
    )


def row(sessions, key: str) -> Alert:
    with sessions() as session:
        return queries.alert_by_key(session, key=key)


def test_what_the_render_function_returns_is_posted_and_recorded_once(sessions, shop_id):
    channel = Channel()
    first, second = add_orders(sessions, shop_id, 2)

    report = outbox(sessions, shop_id, channel).dispatch()

    keys = [f"new_order:{first}", f"new_order:{second}"]
    assert report.posted == keys
    assert [post["order"] for post in channel.posts] == [first, second]
    for key, payload, ts in zip(keys, channel.posts, ("1.000", "2.000"), strict=True):
        stored = row(sessions, key)
        assert (stored.state, stored.channel, stored.ts) == (AlertState.POSTED, "C0ALERTS", ts)
        assert stored.fingerprint == fingerprint(payload) and stored.posted_at == NOW
    again = outbox(sessions, shop_id, channel).dispatch()  # a restart: a new outbox
    assert (again.posted, again.updated, len(channel.posts)) == ([], [], 2)


def test_a_summary_finds_its_orders_by_its_batch_key(sessions, shop_id):
    channel = Channel()
    box = outbox(sessions, shop_id, channel)
    wave = add_orders(sessions, shop_id, 7)

    (summary,) = box.dispatch().posted

    assert summary.startswith("new_orders:")
    (posted,) = channel.posts
    assert (posted["key"], posted["members"], posted["count"]) == (summary, wave, 7)
    with sessions() as session:
        members = session.exec(select(Alert).where(Alert.batch_key == summary)).all()
    assert sorted(m.key for m in members) == sorted(f"new_order:{oid}" for oid in wave)
    assert {m.state for m in members} == {AlertState.BATCHED}
    grown = add_orders(sessions, shop_id, 2, at=NOW + timedelta(seconds=20))
    report = box.dispatch(NOW + timedelta(seconds=20))  # the same minute: news of its own
    (again,) = report.posted
    assert again.startswith("new_orders:") and again != summary and report.updated == []
    assert channel.updates == [] and channel.posts[-1]["count"] == 2

    later = add_orders(sessions, shop_id, 6, at=NOW + timedelta(minutes=2))
    (other,) = box.dispatch(NOW + timedelta(minutes=2)).posted
    with sessions() as session:
        first = load_summary(session, shop_id=shop_id, key=summary)
        second = load_summary(session, shop_id=shop_id, key=again)
        third = load_summary(session, shop_id=shop_id, key=other)
        assert load_summary(session, shop_id=shop_id + 1, key=summary) is None
    assert [o.tiktok_order_id for o in first.orders] == wave
    assert [o.tiktok_order_id for o in second.orders] == grown
    assert [o.tiktok_order_id for o in third.orders] == later


def test_a_refused_alert_waits_longer_each_time_and_keeps_its_error(sessions, shop_id):
    channel = Channel()
    box = outbox(sessions, shop_id, channel)
    (order_id,) = add_orders(sessions, shop_id, 1)
    key = f"new_order:{order_id}"
    channel.refusing = "not_in_channel"

    assert box.dispatch().refused == [key]
    stored = row(sessions, key)
    assert (stored.state, stored.attempts, stored.last_error) == (
        AlertState.PENDING,
        1,
        "not_in_channel",
    )
    retried = NOW + timedelta(seconds=31)
    assert box.dispatch(retried).refused == [key]  # 30 s after the first refusal
    assert row(sessions, key).attempts == 2
    channel.refusing = None
    assert box.dispatch(retried + timedelta(seconds=31)).posted == []  # now it waits 60 s
    assert box.dispatch(retried + timedelta(seconds=61)).posted == [key]
    stored = row(sessions, key)
    assert (stored.state, stored.attempts, stored.last_error) == (AlertState.POSTED, 2, None)
    assert len(channel.posts) == 1


def test_a_refused_digest_is_tried_again_by_the_next_runs_and_posted_once(sessions, shop_id):
    channel = Channel()
    box = outbox(sessions, shop_id, channel)
    (failed,) = add_orders(sessions, shop_id, 1, section="failed", placement="failed")
    tokyo = ZoneInfo("Asia/Tokyo")
    channel.refusing = "channel_not_found"

    assert not box.post_digest(now=NOW, zone=tokyo)
    stored = row(sessions, "digest:2026-05-04")
    assert (stored.state, stored.last_error) == (AlertState.PENDING, "channel_not_found")
    channel.refusing = None
    assert not box.post_digest(now=NOW + timedelta(minutes=1), zone=tokyo)  # still its claim
    assert box.dispatch(NOW + timedelta(seconds=31)).posted == ["digest:2026-05-04"]
    assert not box.post_digest(now=NOW + timedelta(hours=1), zone=tokyo)  # one a day
    assert channel.posts == [{"day": "2026-05-04", "failed": [failed]}]
    assert row(sessions, "digest:2026-05-04").ts == "1.000"


def test_marked_handled_once_and_the_next_run_shows_it(sessions, shop_id):
    channel = Channel()
    box = outbox(sessions, shop_id, channel)
    (order_id,) = add_orders(sessions, shop_id, 1)
    box.dispatch()
    key = f"new_order:{order_id}"

    done = mark_handled(sessions, shop_id=shop_id, key=key, actor="U0ADMIN", now=NOW)
    again = mark_handled(sessions, shop_id=shop_id, key=key, actor="U0OTHER", now=NOW)

    assert done.done and done.alert.state == AlertState.HANDLED
    assert not again.done and again.alert.handled_by == "U0ADMIN"
    with sessions() as session:
        history = session.exec(select(OrderEvent).where(OrderEvent.actor == "U0ADMIN")).all()
    assert [(e.kind, e.detail) for e in history] == [(EventKind.ALERT_HANDLED, "new order")]
    assert box.dispatch().updated == [key]  # its history grew: the message is re-rendered
    (_, ts, payload) = channel.updates[-1]
    assert ts == "1.000" and payload["handled_by"] == "U0ADMIN"
    assert box.dispatch().updated == []
    for unknown in (
        mark_handled(sessions, shop_id=shop_id, key="new_order:nope", actor="U1", now=NOW),
        mark_handled(sessions, shop_id=shop_id + 1, key=key, actor="U1", now=NOW),
    ):
        assert (unknown.done, unknown.alert) == (False, None)


def test_a_refused_update_is_sent_on_the_next_run_without_new_history(sessions, shop_id):
    channel = Channel()
    box = outbox(sessions, shop_id, channel)
    (order_id,) = add_orders(sessions, shop_id, 1)
    box.dispatch()
    key = f"new_order:{order_id}"
    mark_handled(sessions, shop_id=shop_id, key=key, actor="U0ADMIN", now=NOW)
    channel.refusing = "ratelimited"

    assert box.dispatch().updated == []
    channel.refusing = None
    assert box.dispatch().updated == [key]
    assert row(sessions, key).fingerprint == fingerprint(channel.updates[-1][2])


def test_refresh_updates_one_message_at_once_and_hands_a_refusal_to_the_next_run(sessions, shop_id):
    channel = Channel()
    box = outbox(sessions, shop_id, channel)
    first, second = add_orders(sessions, shop_id, 2)
    box.dispatch()
    key = f"new_order:{first}"
    mark_handled(sessions, shop_id=shop_id, key=key, actor="U0ADMIN", now=NOW)
    channel.refusing = "ratelimited"

    assert box.refresh(key) is None
    channel.refusing = None
    assert box.dispatch().updated == [key]  # no new history needed: it was owed
    mark_handled(sessions, shop_id=shop_id, key=f"new_order:{second}", actor="U1", now=NOW)
    assert box.refresh(f"new_order:{second}") is True
    assert box.refresh(f"new_order:{second}") is False  # nothing changed since
    assert [(ts, payload["handled_by"]) for _, ts, payload in channel.updates] == [
        ("1.000", "U0ADMIN"),
        ("2.000", "U1"),
    ]
    assert box.refresh("new_order:nope") is False


def test_an_alert_run_asked_for_during_another_waits_for_it(core, shops, poster, slack_api):
    """The outbox's lock is the one in-process guard against overlapping alert runs. A run
    asked for during another (a kick after a fetch, during the scheduled run) waits for it: run
    alongside, it would take the news of a change to an alert still being posted, and that
    message would never be updated."""
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    engine = core.services.engine
    engine.fetch()
    second_ran = threading.Event()
    runs: list[threading.Thread] = []

    class ChangedWhilePosting:
        channel = poster.channel
        render = staticmethod(poster.render)
        update = staticmethod(poster.update)

        def post(self, payload, *, key):
            if not runs:  # the order changes while its alert is being posted, and a kick comes
                engine.cancel(order_id, "seller_cancel_reason_out_of_stock", actor=ADMIN)
                runs.append(threading.Thread(target=lambda: (outbox.dispatch(), second_ran.set())))
                runs[0].start()
                second_ran.wait(timeout=1)  # returns at once only if the kick ran alongside
            return poster.post(payload, key=key)

    outbox = build_outbox(core.services, ChangedWhilePosting())
    assert outbox.dispatch().posted == [f"new_order:{order_id}"]
    runs[0].join(10)

    assert second_ran.is_set()  # the kick was not lost: it ran after the first run
    (message,) = alerts(slack_api)
    assert message.edits == 1 and f"Cancelled by <@{ADMIN}>" in words(message)
