"""Fetch progress: one message edited in place, at most once per interval, then the summary."""

import logging

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.fetch import FetchReport
from commands.context import FetchProgress
from commands.replies import Reply
from tests.utils.fakes import FakeClock


def report(slack_api, clock, *, channel="C0FETCH", key="f"):
    return FetchReport(
        client=WebClient(base_url=slack_api.url, token=slack_api.bot_token),
        channel=channel,
        respond=Respond(response_url=slack_api.response_url(key)),
        interval_s=1.0,
        monotonic=clock,
        logger=logging.getLogger("test"),
    )


def step(pages: int) -> FetchProgress:
    return FetchProgress(pages=pages, orders=pages * 50, placed=pages * 40, failed=1, done=False)


def test_progress_is_throttled_and_the_summary_always_lands(slack_api):
    clock = FakeClock(100.0)
    fetch = report(slack_api, clock)
    fetch.progress(step(1))  # shown: the first one posts the message
    clock.now += 0.3
    fetch.progress(step(2))  # dropped: too soon
    clock.now += 0.8
    fetch.progress(step(3))  # shown: a second has passed
    clock.now += 0.1
    fetch.finish(Reply(text="Fetch finished: 150 new"))  # always shown

    (posted,) = slack_api.calls("chat.postMessage")
    updates = slack_api.calls("chat.update")
    assert "1 page read" in posted.body["text"]
    assert ["3 pages read" in u.body["text"] for u in updates] == [True, False]
    assert updates[-1].body["text"] == "Fetch finished: 150 new"
    (message,) = slack_api.messages("C0FETCH")
    assert message.text == "Fetch finished: 150 new" and message.edits == 2


def test_a_refused_fetch_with_nothing_shown_answers_only_the_asker(slack_api):
    fetch = report(slack_api, FakeClock(100.0))
    fetch.finish(Reply(text="A fetch is already running; its summary follows.", ok=False))
    assert slack_api.calls("chat.postMessage") == []
    (answer,) = slack_api.responses("f")
    assert answer["response_type"] == "ephemeral" and "already running" in answer["text"]


def test_without_a_channel_seat_progress_uses_the_response_url_sparingly(slack_api):
    slack_api.refuse_channel("C0PRIVATE")
    clock = FakeClock(100.0)
    fetch = report(slack_api, clock, channel="C0PRIVATE")
    for pages in range(1, 10):
        fetch.progress(step(pages))
        clock.now += 2
    fetch.finish(Reply(text="Fetch finished"))
    posts = slack_api.responses("f")
    assert len(posts) == 4  # three progress updates and the summary: within five uses
    assert "replace_original" not in posts[0]
    assert all(p["replace_original"] for p in posts[1:])
    assert posts[-1]["text"] == "Fetch finished"
    assert [c.error for c in slack_api.calls("chat.postMessage")] == ["not_in_channel"]


def test_a_failing_progress_update_does_not_stop_the_fetch(slack_api):
    clock = FakeClock(100.0)
    broken = FetchReport(
        client=WebClient(base_url=slack_api.url, token="xoxb-wrong"),
        channel="C0FETCH",
        respond=None,
        interval_s=1.0,
        monotonic=clock,
        logger=logging.getLogger("test"),
    )
    broken.progress(step(1))  # the call fails (invalid_auth); nothing is raised
    assert [c.error for c in slack_api.calls()] == ["invalid_auth"]
