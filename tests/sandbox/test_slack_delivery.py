"""The Slack emulator's side of delivery: chat.postMessage's per-channel limit (429 with
Retry-After), message metadata kept on post and edit, and conversations.history with it."""

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox.slack import SlackSandbox


class Ticks:
    """A monotonic clock that moves only when told."""

    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks():
    return Ticks()


@pytest.fixture
def sandbox(ticks):
    sandbox = SlackSandbox(posts_per_second=1.0, monotonic=ticks).start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def client(sandbox):
    return WebClient(base_url=sandbox.url, token=sandbox.bot_token)


def post(sandbox, channel: str, text: str = "x") -> httpx.Response:
    return httpx.post(
        f"{sandbox.url}chat.postMessage",
        headers={"Authorization": f"Bearer {sandbox.bot_token}"},
        json={"channel": channel, "text": text},
    )


def test_posts_beyond_one_a_second_per_channel_get_429_with_retry_after(sandbox, ticks):
    assert post(sandbox, "C1").json()["ok"]
    refused = post(sandbox, "C1")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert refused.json() == {"ok": False, "error": "ratelimited"}
    assert post(sandbox, "C2").json()["ok"]  # another channel has a budget of its own
    ticks.now += 1.0
    assert post(sandbox, "C1").json()["ok"]
    assert [m.text for m in sandbox.messages("C1")] == ["x", "x"]  # the refused one is not kept
    assert [c.error for c in sandbox.calls("chat.postMessage")] == [
        None,
        "ratelimited",
        None,
        None,
    ]


def test_edits_are_not_held_to_the_posting_limit(sandbox, client):
    ts = client.chat_postMessage(channel="C1", text="one")["ts"]
    for n in range(3):
        client.chat_update(channel="C1", ts=ts, text=f"edit {n}")
    assert sandbox.messages("C1")[0].edits == 3


def test_the_limit_is_off_unless_asked_for_and_reset_restores_the_start():
    open_sandbox = SlackSandbox().start()
    try:
        for _ in range(5):
            assert post(open_sandbox, "C1").json()["ok"]
        open_sandbox.limit_posts(1.0)
        assert post(open_sandbox, "C1").json()["ok"]
        assert post(open_sandbox, "C1").status_code == 429
        open_sandbox.reset()
        assert post(open_sandbox, "C1").json()["ok"] and post(open_sandbox, "C1").json()["ok"]
    finally:
        open_sandbox.stop()


def test_a_burst_allowance_lets_a_few_through_at_once(ticks):
    bursty = SlackSandbox(posts_per_second=1.0, post_burst=3, monotonic=ticks).start()
    try:
        codes = [post(bursty, "C1").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
    finally:
        bursty.stop()


def test_metadata_is_kept_and_read_back_from_the_history(sandbox, client, ticks):
    metadata = {"event_type": "orderbot_alert", "event_payload": {"key": "new_order:1"}}
    first = client.chat_postMessage(channel="C1", text="one", metadata=metadata)
    ticks.now += 1
    second = client.chat_postMessage(channel="C1", text="two")
    client.chat_update(channel="C1", ts=first["ts"], text="one, edited")  # metadata stays

    plain = client.conversations_history(channel="C1")
    assert [m["text"] for m in plain["messages"]] == ["two", "one, edited"]  # newest first
    assert all("metadata" not in m for m in plain["messages"])
    full = client.conversations_history(channel="C1", include_all_metadata=True)
    assert full["messages"][1]["metadata"] == metadata
    assert "metadata" not in full["messages"][0]
    later = client.conversations_history(channel="C1", oldest=first["ts"])
    assert [m["ts"] for m in later["messages"]] == [second["ts"]]  # oldest is exclusive


def test_the_history_pages_by_cursor(sandbox, client, ticks):
    for n in range(5):
        client.chat_postMessage(channel="C1", text=str(n))
        ticks.now += 1
    seen, cursor = [], None
    while True:
        page = client.conversations_history(channel="C1", limit=2, cursor=cursor)
        seen += [m["text"] for m in page["messages"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not page["has_more"]:
            assert cursor == ""
            break
    assert seen == ["4", "3", "2", "1", "0"]


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        ("not json", "invalid_metadata_format"),
        ({"event_type": "x"}, "invalid_metadata_format"),
        ({"event_type": "x", "event_payload": "not an object"}, "invalid_metadata_format"),
    ],
)
def test_malformed_metadata_is_refused(sandbox, client, metadata, error):
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C1", text="x", metadata=metadata)
    assert refused.value.response["error"] == error
    assert sandbox.messages("C1") == []


def test_an_event_type_with_a_period_is_dropped_with_a_warning(sandbox, client):
    answer = client.chat_postMessage(
        channel="C1", text="x", metadata={"event_type": "a.b", "event_payload": {}}
    )
    assert answer["ok"] and answer["warning"] == "invalid_metadata_schema"
    (message,) = sandbox.messages("C1")
    assert message.metadata is None


def test_the_history_needs_its_scope_and_the_channel():
    narrow = SlackSandbox(scopes=frozenset({"commands", "chat:write"})).start()
    try:
        client = WebClient(base_url=narrow.url, token=narrow.bot_token)
        client.chat_postMessage(channel="C1", text="x")
        with pytest.raises(SlackApiError) as missing:
            client.conversations_history(channel="C1")
        answer = missing.value.response
        assert answer["error"] == "missing_scope" and answer["needed"] == "channels:history"
        assert answer["provided"] == "chat:write,commands"
        with pytest.raises(SlackApiError) as private:
            client.conversations_history(channel="G1")
        assert private.value.response["needed"] == "groups:history"
    finally:
        narrow.stop()


def test_the_history_of_a_channel_the_bot_is_not_in_is_refused(sandbox, client):
    sandbox.refuse_channel("C9")
    with pytest.raises(SlackApiError) as refused:
        client.conversations_history(channel="C9")
    assert refused.value.response["error"] == "not_in_channel"
