"""The outbox's delivery on a real database, with a channel of the test's own: at least once and
never a duplicate (a post cut short is looked for in the channel before it is posted again),
failure groups told once and kept up to date, and news never added to a message already out."""

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count

import pytest

from storage import queries
from storage.db import transaction
from storage.models import Alert, Order, OrderLine
from storage.states import AlertState, EventKind
from sync.alerts import AlertRules, HistoryBusy, HistoryUnavailable, Outbox, PostRefused

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
GRACE = AlertRules().reconcile_after
_ids = count(1)


class Crash(Exception):
    """The process died here (in a test: the post call raises)."""


class Channel:
    """Keeps what it is sent, with each alert's key, as Slack keeps metadata. `crash` makes the
    next post raise: "after" once the message is out, "before" while it is not."""

    channel = "C0ALERTS"

    def __init__(self):
        self.posts: list[tuple[str, dict]] = []  # (key, payload)
        self.updates: list[tuple[str, dict]] = []  # (ts, payload)
        self.crash: str | None = None
        self.history = True  # False: it cannot say what was posted; "busy": not now
        self.looked: list[tuple[str, datetime]] = []

    def post(self, payload, *, key):
        crash, self.crash = self.crash, None
        if crash == "before":
            raise Crash
        self.posts.append((key, payload))
        if crash == "after":
            raise Crash
        return self.channel, f"{len(self.posts)}.000"

    def update(self, channel, ts, payload, *, key):
        self.updates.append((ts, payload))

    def find(self, keys, *, since):
        self.looked.append((list(keys), since))
        if self.history == "busy":
            raise HistoryBusy("ratelimited")
        if not self.history:
            raise HistoryUnavailable("missing_scope (needs channels:history)")
        return {
            key: (self.channel, f"{n}.000")
            for n, (key, _) in enumerate(self.posts, 1)
            if key in keys
        }


def render(view) -> dict:
    return {
        "key": view.key,
        "order": view.order.tiktok_order_id if view.order else None,
        "members": [o.tiktok_order_id for o in view.members],
        "failing": view.failing,
        "skus": list(view.failed_skus),
        "reason": view.failure_reason,
    }


@pytest.fixture
def shop_id(sessions) -> int:
    with transaction(sessions) as session:
        return queries.ensure_shop(session, name="shop", etsy_shop_id="1").id


def add_orders(sessions, shop_id: int, n: int, *, sku: str | None = None, at=NOW) -> list[str]:
    """`n` new orders placed on Etsy; with `sku`, failed instead: no Etsy listing has it."""
    ids = []
    with transaction(sessions) as session:
        for i in range(n):
            tiktok_id = f"5764600000{next(_ids):08d}"
            failed = {
                "section": "failed",
                "placement": "failed",
                "failure_reason": "sku_unmatched",
                "failure_detail": f"no Etsy listing has SKU {sku}",
            }
            values = {
                "shop_id": shop_id,
                "tiktok_order_id": tiktok_id,
                "tiktok_status": "AWAITING_SHIPMENT",
                "section": "awaiting-shipment",
                "placement": "placed",
                "fulfilled_by": "SELLER",
                "total_amount": Decimal("9.50"),
                "currency": "USD",
                "created_at": at - timedelta(minutes=10, seconds=n - i),
                "updated_at": at,
                "synced_at": at,
            }
            order = Order(**{**values, **(failed if sku else {})})
            session.add(order)
            session.flush()
            for j, line_sku in enumerate(("MUG-1", sku) if sku else ("MUG-1",)):
                session.add(
                    OrderLine(
                        order_id=order.id,
                        tiktok_line_id=f"{tiktok_id}-{j}",
                        sku_id=f"ID-{line_sku}",
                        seller_sku=line_sku,
                    )
                )
            ids.append(tiktok_id)
    return ids


def outbox(sessions, shop_id, channel) -> Outbox:
    return Outbox(
        sessions=sessions,
        shop_id=shop_id,
        poster=channel,
        clock=lambda: NOW,
        render=render,
        render_digest=lambda view: {"day": view.day},
    )


def row(sessions, key: str) -> Alert:
    with sessions() as session:
        return queries.alert_by_key(session, key=key)


def test_a_post_out_but_not_recorded_is_found_and_recorded_not_posted_again(sessions, shop_id):
    channel = Channel()
    (order_id,) = add_orders(sessions, shop_id, 1)
    key = f"new_order:{order_id}"
    channel.crash = "after"  # Slack took the message; the process died before recording it

    cut_short = outbox(sessions, shop_id, channel).dispatch()

    assert cut_short.uncertain == [key] and row(sessions, key).state == AlertState.POSTING
    restarted = outbox(sessions, shop_id, channel)  # a new process, the same database
    assert restarted.dispatch(NOW + GRACE - timedelta(seconds=1)).posted == []  # may be slow
    assert channel.looked == []
    report = restarted.dispatch(NOW + GRACE)

    assert (report.reconciled, report.posted) == ([key], [])
    assert len(channel.posts) == 1  # never shown twice
    (looked_for, since) = channel.looked[0]
    assert looked_for == [key] and since < NOW
    stored = row(sessions, key)
    assert (stored.state, stored.channel, stored.ts) == (AlertState.POSTED, "C0ALERTS", "1.000")
    assert [ts for ts, _ in channel.updates] == ["1.000"]  # brought up to what it shows now
    again = restarted.dispatch(NOW + 2 * GRACE)
    assert (again.posted, again.reconciled, again.updated) == ([], [], [])


def test_a_claim_whose_post_never_went_out_is_posted_once_later(sessions, shop_id):
    channel = Channel()
    (order_id,) = add_orders(sessions, shop_id, 1)
    key = f"new_order:{order_id}"
    channel.crash = "before"

    assert outbox(sessions, shop_id, channel).dispatch().uncertain == [key]
    assert channel.posts == []
    report = outbox(sessions, shop_id, channel).dispatch(NOW + GRACE)

    assert report.posted == [key] and report.reconciled == []
    assert [k for k, _ in channel.posts] == [key]
    assert row(sessions, key).state == AlertState.POSTED


def test_without_the_history_it_posts_again_and_says_so(sessions, shop_id, caplog):
    channel = Channel()
    (order_id,) = add_orders(sessions, shop_id, 1)
    key = f"new_order:{order_id}"
    channel.crash = "after"
    outbox(sessions, shop_id, channel).dispatch()
    channel.history = False

    with caplog.at_level(logging.WARNING, logger="sync.alerts.outbox"):
        report = outbox(sessions, shop_id, channel).dispatch(NOW + GRACE)

    assert report.posted == [key]
    assert [k for k, _ in channel.posts] == [key, key]  # at least once: here, twice
    assert "may show twice" in caplog.text and "channels:history" in caplog.text


def test_one_worker_takes_a_claim_over(sessions, shop_id):
    (order_id,) = add_orders(sessions, shop_id, 1)
    channel = Channel()
    channel.crash = "before"
    outbox(sessions, shop_id, channel).dispatch()
    stale = row(sessions, f"new_order:{order_id}")

    takes = []
    for _ in range(2):  # two workers, each with the cut-off `now - grace`
        with transaction(sessions) as session:
            takes.append(
                queries.take_stale_claim(
                    session, alert_id=stale.id, claimed_before=NOW, now=NOW + GRACE
                )
            )

    assert takes == [True, False]
    # The taken-over claim is fresh again: another outbox at the same moment leaves it.
    assert outbox(sessions, shop_id, channel).dispatch(NOW + GRACE).posted == []


def test_a_refused_post_stops_the_run_and_the_rest_waits(sessions, shop_id):
    class Refusing(Channel):
        def post(self, payload, *, key):
            raise PostRefused("ratelimited")

    channel = Refusing()
    add_orders(sessions, shop_id, 3)
    report = outbox(sessions, shop_id, channel).dispatch()
    assert len(report.refused) == 1 and report.posted == []
    with sessions() as session:
        assert (
            len(
                queries.alerts_in_state(
                    session, shop_id=shop_id, state=AlertState.PENDING, updated_before=NOW, limit=10
                )
            )
            == 1
        )


def test_failures_together_make_one_group_kept_up_to_date_as_they_are_fixed(sessions, shop_id):
    channel = Channel()
    box = outbox(sessions, shop_id, channel)
    ghosts = add_orders(sessions, shop_id, 3, sku="TT-GHOST-1")
    (other,) = add_orders(sessions, shop_id, 1, sku="TT-GHOST-2")

    report = box.dispatch()

    group_key = next(k for k in report.posted if k.startswith("placement_failures:"))
    assert sorted(report.posted) == sorted([group_key, f"placement_failed:{other}"])
    group = next(p for k, p in channel.posts if k == group_key)
    assert (group["members"], group["failing"]) == (ghosts, 3)
    assert (group["skus"], group["reason"]) == (["TT-GHOST-1"], "sku_unmatched")
    single = next(p for k, p in channel.posts if k == f"placement_failed:{other}")
    assert single["skus"] == ["TT-GHOST-2"]  # not MUG-1: it was on Etsy

    with transaction(sessions) as session:  # one of them is fixed (placed after a mapping)
        fixed = queries.order_by_tiktok_id(session, shop_id=shop_id, tiktok_order_id=ghosts[0])
        fixed.placement, fixed.section, fixed.failure_reason = "placed", "awaiting-shipment", None
        queries.add_event(session, order_id=fixed.id, at=NOW, actor="U1", kind=EventKind.PLACED)
    fixed_report = box.dispatch()

    assert fixed_report.updated == [group_key] and fixed_report.posted == []
    assert channel.updates[-1][1]["failing"] == 2

    later = add_orders(sessions, shop_id, 1, sku="TT-GHOST-1")  # the same problem, later
    news = box.dispatch()
    assert news.posted == [f"placement_failed:{later[0]}"] and news.updated == []
    assert len(channel.updates) == 1  # the group was not edited to take it in


def test_a_run_posts_at_most_its_budget_and_the_rest_comes_next_run(sessions, shop_id):
    channel = Channel()
    for n in range(12):
        add_orders(sessions, shop_id, 1, sku=f"TT-GHOST-{n}")  # twelve different problems
    box = outbox(sessions, shop_id, channel)

    first = box.dispatch()
    second = box.dispatch()

    assert len(first.posted) == AlertRules().posts_per_run == 10
    assert len(second.posted) == 2 and box.dispatch().posted == []
    assert len({k for k, _ in channel.posts}) == 12


def test_claims_cut_short_are_looked_for_together_and_a_busy_channel_is_asked_later(
    sessions, shop_id
):
    channel = Channel()
    ids = add_orders(sessions, shop_id, 3)
    keys = [f"new_order:{i}" for i in ids]

    class DiesAfterEach(Channel):
        def post(self, payload, *, key):
            self.crash = "after"
            return super().post(payload, key=key)

    dying = DiesAfterEach()
    for _ in keys:  # each run posts one, then dies before recording it
        outbox(sessions, shop_id, dying).dispatch()
    channel.posts = dying.posts
    channel.history = "busy"

    assert outbox(sessions, shop_id, channel).dispatch(NOW + GRACE).reconciled == []
    assert [looked for looked, _ in channel.looked] == [keys]  # one read for all three
    channel.history = True
    assert (
        outbox(sessions, shop_id, channel).dispatch(NOW + GRACE + timedelta(minutes=1)).reconciled
        == []
    )  # fresh claims
    report = outbox(sessions, shop_id, channel).dispatch(NOW + 2 * GRACE)
    assert sorted(report.reconciled) == sorted(keys) and report.posted == []
    assert len(channel.posts) == 3


def test_groups_claimed_at_one_instant_have_keys_of_their_own(sessions, shop_id):
    channel = Channel()
    box = outbox(sessions, shop_id, channel)  # its clock stands still: every run is at NOW
    add_orders(sessions, shop_id, 2, sku="TT-GHOST-1")
    add_orders(sessions, shop_id, 2, sku="TT-GHOST-2")
    (first, second) = box.dispatch().posted
    add_orders(sessions, shop_id, 2, sku="TT-GHOST-3")
    (third,) = box.dispatch().posted
    assert len({first, second, third}) == 3
    assert all(k.startswith("placement_failures:20260504T120000.000000Z.") for k in (first, third))
