"""Requests as Slack sends them (field sets from Slack's payload references), signed.

Slash commands and interactivity arrive form-encoded (interactivity as one `payload` JSON field);
events arrive as JSON. Every request carries X-Slack-Request-Timestamp and X-Slack-Signature.
"""

import itertools
import json
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from tests.utils.ids import APP, CHANNEL, SIGNING_SECRET, TEAM

_seq = itertools.count(1)


def _user(user: str) -> dict:
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM}


def slash_command(text: str, *, user: str, response_url: str, channel: str = CHANNEL) -> dict:
    n = next(_seq)
    return {
        "token": "verification-token-unused",
        "team_id": TEAM,
        "team_domain": "sandbox",
        "channel_id": channel,
        "channel_name": "orders",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/orders",
        "text": text,
        "api_app_id": APP,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{n}.{n}.trigger{n}",
    }


def block_action(
    action_id: str,
    value: str,
    *,
    user: str,
    response_url: str | None = None,
    surface: str = "message",
    is_ephemeral: bool = True,
    channel: str = CHANNEL,
    ts: str | None = None,
    view: dict | None = None,
) -> dict:
    """A button click on a message (ephemeral or not; `ts` names the message, else a new one
    is made up), in a modal (`view`) or on App Home (`surface="home"`)."""
    n = next(_seq)
    payload = {
        "type": "block_actions",
        "user": _user(user),
        "api_app_id": APP,
        "token": "verification-token-unused",
        "trigger_id": f"{n}.{n}.trigger{n}",
        "team": {"id": TEAM, "domain": "sandbox"},
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": {}},
        "actions": [
            {
                "action_id": action_id,
                "block_id": f"block{n}",
                "text": {"type": "plain_text", "text": "Button", "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": f"1700000000.{n:06d}",
            }
        ],
    }
    if surface == "message":
        ts = ts or f"1700000100.{n:06d}"
        payload["container"] = {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": is_ephemeral,
        }
        payload["channel"] = {"id": channel, "name": "orders"}
        payload["message"] = {"type": "message", "ts": ts, "text": "earlier reply", "blocks": []}
        payload["response_url"] = response_url
    else:
        view = view or {
            "id": f"VHOME{n}",
            "type": "home",
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "hash": f"1700000000.{n}",
        }
        payload["container"] = {"type": "view", "view_id": view["id"]}
        payload["view"] = view
    return payload


def submission(view: dict, values: dict[str, str], *, user: str) -> dict:
    """A view_submission for `view` (as opened on the sandbox) with inputs filled in."""
    state: dict[str, dict] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        value = values.get(element["action_id"])
        if element["type"] == "static_select":
            chosen = next((o for o in element["options"] if o["value"] == value), None)
            entry = {"type": "static_select", "selected_option": chosen}
        elif element["type"] == "multi_static_select":  # `value`: the picks, comma-separated
            picked = set((value or "").split(","))
            chosen = [o for o in element["options"] if o["value"] in picked]
            entry = {"type": "multi_static_select", "selected_options": chosen}
        elif element["type"] == "external_select":  # its options came from the app
            chosen = {"text": {"type": "plain_text", "text": value}, "value": value}
            entry = {"type": "external_select", "selected_option": chosen if value else None}
        else:
            entry = {"type": element["type"], "value": value}
        state[block["block_id"]] = {element["action_id"]: entry}
    n = next(_seq)
    return {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "sandbox"},
        "user": _user(user),
        "api_app_id": APP,
        "token": "verification-token-unused",
        "trigger_id": f"{n}.{n}.trigger{n}",
        "view": {
            "team_id": TEAM,
            "app_id": APP,
            "app_installed_team_id": TEAM,
            "external_id": "",
            "clear_on_close": False,
            "notify_on_close": False,
            "previous_view_id": None,
            **view,
            "state": {"values": state},
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def app_home_opened(user: str) -> dict:
    n = next(_seq)
    return {
        "token": "verification-token-unused",
        "team_id": TEAM,
        "api_app_id": APP,
        "event": {
            "type": "app_home_opened",
            "user": user,
            "channel": f"D{user[1:]}",
            "tab": "home",
            "event_ts": f"1700000200.{n:06d}",
        },
        "type": "event_callback",
        "event_id": f"Ev{n:08d}",
        "event_time": 1700000200,
        "authorizations": [
            {"team_id": TEAM, "user_id": "U0BOT", "is_bot": True, "is_enterprise_install": False}
        ],
        "is_ext_shared_channel": False,
    }


def encode(body: dict) -> tuple[bytes, str]:
    """The wire form of a payload: (raw body, content type)."""
    if body.get("type") in ("block_actions", "view_submission", "block_suggestion"):
        raw = urlencode({"payload": json.dumps(body)})
        return raw.encode(), "application/x-www-form-urlencoded"
    if body.get("type") == "event_callback":
        return json.dumps(body).encode(), "application/json"
    return urlencode(body).encode(), "application/x-www-form-urlencoded"


@dataclass
class Answer:
    status: int
    body: bytes

    def json(self):
        return json.loads(self.body) if self.body else None


class SlackRequests:
    """Signs and posts requests to an app's /slack/events, as Slack would."""

    def __init__(self, base_url: str, secret: str = SIGNING_SECRET):
        self._url = f"{base_url}/slack/events"
        self._verifier = SignatureVerifier(secret)
        self._http = httpx.Client(timeout=10)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "SlackRequests":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def sign(self, raw: bytes, timestamp: str) -> str:
        return self._verifier.generate_signature(timestamp=timestamp, body=raw)

    def post(
        self, body: dict, *, timestamp: int | None = None, signature: str | None = None
    ) -> Answer:
        raw, content_type = encode(body)
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "content-type": content_type,
            "x-slack-request-timestamp": ts,
            "x-slack-signature": signature or self.sign(raw, ts),
        }
        response = self._http.post(self._url, content=raw, headers=headers)
        return Answer(response.status_code, response.content)
