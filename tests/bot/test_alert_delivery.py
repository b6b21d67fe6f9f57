"""Alerts into the Slack emulator through the production poster and clients: each message carries
its key in metadata, a crash between Slack's answer and the record is reconciled from the
channel's history (or, without the scope, posted again), posts are paced and 429s retried after
Retry-After, and news arriving after a summary gets a message of its own."""

import logging
from datetime import timedelta

import pytest
from slack_sdk import WebClient

from bot.alerts import EVENT_TYPE, SlackPoster
from bot.web_api import alerts_client
from orderbot.autopilot import build_outbox
from sandbox.slack import SlackSandbox
from storage import queries
from storage.states import AlertState
from sync.alerts import AlertRules
from tests.utils.catalog import stock

CHANNEL = "C0ALERTS"
GRACE = AlertRules().reconcile_after


class Ticks:
    """Monotonic time for the emulator's limit and the client's waits, moved by the waits."""

    def __init__(self):
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Crash(Exception):
    pass


class DiesAfterPosting(SlackPoster):
    """Slack takes the first message; the process dies before it can record it."""

    died = False

    def post(self, payload, *, key):
        answer = super().post(payload, key=key)
        if not self.died:
            self.died = True
            raise Crash("killed between Slack's answer and the record")
        return answer


@pytest.fixture
def ticks():
    return Ticks()


def sandbox_of(**options) -> SlackSandbox:
    return SlackSandbox(**options).start()


@pytest.fixture
def slack():
    sandbox = sandbox_of()
    yield sandbox
    sandbox.stop()


def poster_on(sandbox, kind=SlackPoster, **options) -> SlackPoster:
    client = WebClient(base_url=sandbox.url, token=sandbox.bot_token)
    return kind(client, CHANNEL, **{"posts_per_second": None, **options})


def new_orders(core, shops, n: int) -> list[str]:
    skus = [s for s in shops.catalog.cases["unique"] if stock(shops, s) >= 3][:3]
    ids = [shops.tiktok.add_order(skus=[skus[i % len(skus)]])["id"] for i in range(n)]
    core.services.engine.fetch()
    return ids


def stored(core, key: str):
    with core.services.sessions() as session:
        return queries.alert_by_key(session, key=key)


def test_every_message_carries_its_alert_key(core, shops, slack):
    (order_id,) = new_orders(core, shops, 1)
    build_outbox(core.services, poster_on(slack)).dispatch()
    (message,) = slack.messages(CHANNEL)
    assert message.metadata == {
        "event_type": EVENT_TYPE,
        "event_payload": {"key": f"new_order:{order_id}"},
    }


def test_a_crash_after_slack_took_the_message_is_recorded_from_the_history(core, shops, slack):
    (order_id,) = new_orders(core, shops, 1)
    key = f"new_order:{order_id}"
    now = core.services.clock()
    first = build_outbox(core.services, poster_on(slack, DiesAfterPosting)).dispatch(now)
    assert first.uncertain == [key] and stored(core, key).state == AlertState.POSTING

    restarted = build_outbox(core.services, poster_on(slack))  # the next process
    report = restarted.dispatch(now + GRACE)

    assert report.reconciled == [key] and report.posted == []
    assert len(slack.calls("chat.postMessage")) == 1  # nothing posted again
    (history,) = slack.calls("conversations.history")
    assert history.body["channel"] == CHANNEL and history.body["include_all_metadata"] in (
        "1",
        "true",
        True,
    )
    (message,) = slack.messages(CHANNEL)
    row = stored(core, key)
    assert (row.state, row.channel, row.ts) == (AlertState.POSTED, CHANNEL, message.ts)
    assert restarted.dispatch(now + 2 * GRACE).posted == []


def test_without_the_history_scope_a_cut_short_alert_is_posted_again(core, shops, caplog):
    narrow = sandbox_of(scopes=frozenset({"commands", "chat:write"}))
    try:
        (order_id,) = new_orders(core, shops, 1)
        now = core.services.clock()
        build_outbox(core.services, poster_on(narrow, DiesAfterPosting)).dispatch(now)
        with caplog.at_level(logging.WARNING):
            report = build_outbox(core.services, poster_on(narrow)).dispatch(now + GRACE)
        assert report.posted == [f"new_order:{order_id}"]
        assert len(narrow.messages(CHANNEL)) == 2  # at least once
        assert "missing_scope" in caplog.text and "may show twice" in caplog.text
    finally:
        narrow.stop()


def test_posts_past_slacks_limit_are_retried_after_retry_after(core, shops, ticks):
    limited = sandbox_of(posts_per_second=1.0, monotonic=ticks)
    try:
        ids = new_orders(core, shops, 3)
        client = alerts_client(limited.url, limited.bot_token, sleep=ticks.sleep)
        poster = SlackPoster(client, CHANNEL, posts_per_second=None)  # no pacing: Slack says
        report = build_outbox(core.services, poster).dispatch()

        assert sorted(report.posted) == sorted(f"new_order:{i}" for i in ids)
        assert report.refused == []
        assert [c.error for c in limited.calls("chat.postMessage")].count("ratelimited") == 2
        assert ticks.slept == [1.0, 1.0]  # each 429 waited its Retry-After, then went through
        assert len(limited.messages(CHANNEL)) == 3
    finally:
        limited.stop()


def test_paced_posts_stay_within_the_limit(core, shops, ticks):
    limited = sandbox_of(posts_per_second=1.0, monotonic=ticks)
    try:
        new_orders(core, shops, 3)
        client = alerts_client(limited.url, limited.bot_token, sleep=ticks.sleep)
        paced = SlackPoster(client, CHANNEL, monotonic=ticks, sleep=ticks.sleep)
        build_outbox(core.services, paced).dispatch()

        assert all(c.ok for c in limited.calls("chat.postMessage"))
        assert len(limited.messages(CHANNEL)) == 3 and ticks.slept == [1.0, 1.0]
    finally:
        limited.stop()


def test_a_wait_too_long_to_sit_out_leaves_the_alert_for_a_later_run(core, shops, ticks):
    slow = sandbox_of(posts_per_second=0.01, monotonic=ticks)  # Retry-After: 100 s
    try:
        new_orders(core, shops, 2)
        client = alerts_client(slow.url, slow.bot_token, sleep=ticks.sleep)
        report = build_outbox(core.services, SlackPoster(client, CHANNEL, posts_per_second=None))
        done = report.dispatch()
        assert len(done.posted) == 1 and len(done.refused) == 1 and ticks.slept == []
        row = stored(core, done.refused[0])
        assert (row.state, row.last_error) == (AlertState.PENDING, "ratelimited")
    finally:
        slow.stop()


def test_an_order_after_a_summary_is_a_new_message_not_an_edit(core, shops, slack):
    outbox = build_outbox(core.services, poster_on(slack))
    new_orders(core, shops, 12)
    (summary_key,) = outbox.dispatch().posted
    assert summary_key.startswith("new_orders:")
    (summary,) = slack.messages(CHANNEL)
    assert "12 new TikTok orders in the last 48 h" in summary.text

    (later,) = new_orders(core, shops, 1)  # seconds later, within the summary's minute
    report = outbox.dispatch(core.services.clock() + timedelta(seconds=26))

    assert report.posted == [f"new_order:{later}"]
    first, second = slack.messages(CHANNEL)
    assert first.ts == summary.ts and first.edits == 0 and later not in first.text
    assert second.text.startswith(f"New order {later}")
    assert [c.body["text"] for c in slack.calls("chat.postMessage")][-1] == second.text
    assert not slack.calls("chat.update")


def test_the_listeners_client_waits_out_short_429s_only(slack):
    from bot.app import build_app
    from bot.settings import BotSettings
    from bot.web_api import LISTENER_WAIT_S, RetryAfter

    settings = BotSettings(bot_token="xoxb-1", signing_secret="s", api_url=slack.url)
    app = build_app(services=None, settings=settings)
    (retry,) = [h for h in app.client.retry_handlers if isinstance(h, RetryAfter)]
    assert retry.max_wait_s == LISTENER_WAIT_S <= 3.0  # a reply may wait, never an ack
    alerts = alerts_client(slack.url, slack.bot_token)
    assert [type(h) for h in alerts.retry_handlers] == [RetryAfter]  # no blind re-send
