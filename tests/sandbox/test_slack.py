"""The Slack Web API emulator: auth, messages, views, response URLs, Block Kit checks, waiting."""

import json
import threading

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from sandbox.slack import SlackSandbox

SECTION = {"type": "section", "text": {"type": "plain_text", "text": "hello"}}


@pytest.fixture
def sandbox():
    sandbox = SlackSandbox(bot_token="xoxb-test").start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def client(sandbox):
    return WebClient(base_url=sandbox.url, token="xoxb-test")


def test_url_is_a_web_api_base(sandbox, client):
    assert sandbox.url.endswith("/api/")
    assert client.auth_test()["team_id"] == "T0SANDBOX"


@pytest.mark.parametrize(
    ("headers", "data", "error"),
    [
        ({}, {}, "not_authed"),
        ({"Authorization": "Bearer xoxb-wrong"}, {}, "invalid_auth"),
        ({}, {"token": "xoxb-wrong"}, "invalid_auth"),
    ],
)
def test_the_bot_token_is_checked(sandbox, headers, data, error):
    answer = httpx.post(
        f"{sandbox.url}chat.postMessage", headers=headers, data={**data, "text": "x"}
    )
    assert answer.json() == {"ok": False, "error": error}
    (call,) = sandbox.calls("chat.postMessage")
    assert not call.ok and call.error == error
    assert sandbox.messages("C1") == []


def test_form_bodies_with_a_token_field_and_json_strings_work(sandbox):
    answer = httpx.post(
        f"{sandbox.url}chat.postMessage",
        data={"token": "xoxb-test", "channel": "C1", "text": "t", "blocks": json.dumps([SECTION])},
    ).json()
    assert answer["ok"] and answer["channel"] == "C1"
    (message,) = sandbox.messages("C1")
    assert message.blocks == [SECTION]
    assert "token" not in sandbox.calls()[0].body


def test_messages_are_kept_edited_and_deleted(sandbox, client):
    first = client.chat_postMessage(channel="C1", text="one", blocks=[SECTION])
    second = client.chat_postMessage(channel="C1", text="two")
    assert first["ts"] < second["ts"]
    client.chat_update(channel="C1", ts=first["ts"], text="one, edited")
    texts = [m.text for m in sandbox.messages("C1")]
    assert texts == ["one, edited", "two"]
    assert sandbox.messages("C1")[0].edits == 1
    client.chat_delete(channel="C1", ts=second["ts"])
    assert [m.text for m in sandbox.messages("C1")] == ["one, edited"]
    with pytest.raises(SlackApiError) as missing:
        client.chat_update(channel="C1", ts="1.000001", text="x")
    assert missing.value.response["error"] == "message_not_found"


def test_ephemeral_messages_are_kept_apart(sandbox, client):
    answer = client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    assert answer["message_ts"]
    assert sandbox.messages("C1", include_ephemeral=False) == []
    (message,) = sandbox.messages("C1")
    assert message.ephemeral_to == "U1"


def test_posting_to_a_user_goes_to_the_apps_dm(sandbox, client):
    answer = client.chat_postMessage(channel="U1", text="hi")
    assert answer["channel"] == "D1"
    client.chat_update(channel=answer["channel"], ts=answer["ts"], text="hi again")
    assert sandbox.messages("D1")[0].text == "hi again"


def test_channels_can_refuse_the_bot(sandbox, client):
    sandbox.refuse_channel("C9")
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C9", text="x")
    assert refused.value.response["error"] == "not_in_channel"
    assert client.conversations_info(channel="C9")["channel"]["is_member"] is False


@pytest.mark.parametrize(
    "blocks",
    [
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
        [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
        [SECTION] * 51,
        [{"type": "nonsense"}],
        [{"type": "section", "text": {"type": "plain_text", "text": "x"}, "colour": "red"}],
        [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "a"},
                        "action_id": "a",
                    },
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "b"},
                        "action_id": "a",
                    },
                ],
            }
        ],
        [{"type": "table", "rows": [[{"type": "raw_text", "text": "x"}]] * 101}],
        [{"type": "table", "rows": [[{"type": "raw_text", "text": ""}]]}],
        [{"type": "table", "rows": [[{"type": "raw_text", "text": "x"}]]}] * 2,
    ],
    ids=[
        "long-section",
        "long-header",
        "51-blocks",
        "unknown-type",
        "unknown-property",
        "duplicate-action-id",
        "101-table-rows",
        "empty-cell",
        "two-tables",
    ],
)
def test_broken_blocks_are_refused_and_recorded(sandbox, client, blocks):
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C1", text="fallback", blocks=blocks)
    assert refused.value.response["error"] == "invalid_blocks"
    assert refused.value.response["response_metadata"]["messages"]
    (call,) = sandbox.calls("chat.postMessage")
    assert call.error == "invalid_blocks" and call.body["blocks"] == blocks
    assert sandbox.messages("C1") == []


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_a_message_needs_text_or_blocks(client):
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C1")
    assert refused.value.response["error"] == "no_text"


def modal(title="Title", blocks=None, **extra):
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "blocks": blocks or [SECTION],
        **extra,
    }


def test_views_open_update_push_and_publish(sandbox, client):
    opened = client.views_open(trigger_id="t1", view=modal(callback_id="cb"))["view"]
    assert opened["id"].startswith("V") and opened["hash"]
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal("Two"))
    assert updated["view"]["title"]["text"] == "Two"
    with pytest.raises(SlackApiError) as conflict:
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal("Three"))
    assert conflict.value.response["error"] == "hash_conflict"
    pushed = client.views_push(trigger_id="t2", view=modal("Pushed"))["view"]
    assert pushed["root_view_id"] == pushed["id"]
    assert [v["title"]["text"] for v in sandbox.views()] == ["Two", "Pushed"]
    client.views_publish(user_id="U1", view={"type": "home", "blocks": [SECTION]})
    assert sandbox.home("U1")["blocks"] == [SECTION]


def test_a_trigger_opens_one_view_only(client):
    client.views_open(trigger_id="t1", view=modal())
    with pytest.raises(SlackApiError) as reused:
        client.views_open(trigger_id="t1", view=modal())
    assert reused.value.response["error"] == "exchanged_trigger_id"


@pytest.mark.parametrize(
    ("view", "method"),
    [
        (modal(title="x" * 25), "views.open"),
        (modal(blocks=[SECTION] * 101), "views.open"),
        (
            modal(
                blocks=[
                    {
                        "type": "input",
                        "label": {"type": "plain_text", "text": "l"},
                        "element": {"type": "plain_text_input", "action_id": "a"},
                    }
                ]
            ),
            "views.open",
        ),
        (
            modal(blocks=[{"type": "table", "rows": [[{"type": "raw_text", "text": "x"}]]}]),
            "views.open",
        ),
        (
            {"type": "home", "blocks": [SECTION], "submit": {"type": "plain_text", "text": "Go"}},
            "views.publish",
        ),
    ],
    ids=["long-title", "101-blocks", "input-without-submit", "table-in-modal", "home-with-submit"],
)
def test_broken_views_are_refused(sandbox, client, view, method):
    with pytest.raises(SlackApiError) as refused:
        if method == "views.open":
            client.views_open(trigger_id="t", view=view)
        else:
            client.views_publish(user_id="U1", view=view)
    assert refused.value.response["error"] == "invalid_arguments"
    assert sandbox.calls(method)[0].ok is False


def test_response_urls_record_posts_and_wear_out(sandbox):
    url = sandbox.response_url("k1")
    hook = WebhookClient(url)
    assert hook.send(text="hi", response_type="ephemeral").status_code == 200
    bad = hook.send(text="x", blocks=[{"type": "nonsense"}])
    assert bad.status_code == 400
    for _ in range(3):
        hook.send(text="again", replace_original=True)
    assert hook.send(text="sixth").status_code == 404
    posts = sandbox.responses("k1")
    assert [p.get("text") for p in posts] == ["hi", "x", "again", "again", "again", "sixth"]
    assert posts[0]["response_type"] == "ephemeral" and posts[2]["replace_original"] is True
    assert [c.ok for c in sandbox.calls("response_url")] == [True, False, True, True, True, False]
    assert sandbox.responses("other") == []


def test_wait_for_wakes_on_calls_and_times_out(sandbox, client):
    threading.Timer(0.05, lambda: client.chat_postMessage(channel="C1", text="later")).start()
    found = sandbox.wait_for(lambda: sandbox.messages("C1"), timeout=5)
    assert found[0].text == "later"
    with pytest.raises(TimeoutError):
        sandbox.wait_for(lambda: sandbox.messages("C2"), timeout=0.05)


def test_users_info_and_unknown_methods(client):
    assert client.users_info(user="U1")["user"]["id"] == "U1"
    with pytest.raises(SlackApiError) as unknown:
        client.api_call("chat.scheduleMessage", json={"channel": "C1", "text": "x"})
    assert unknown.value.response["error"] == "unknown_method"


def test_reset_forgets_everything(sandbox, client):
    client.chat_postMessage(channel="C1", text="x")
    sandbox.refuse_channel("C2")
    sandbox.reset()
    assert sandbox.calls() == [] and sandbox.messages("C1") == []
    client.chat_postMessage(channel="C2", text="allowed again")
