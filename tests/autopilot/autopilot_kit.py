"""Helpers shared by the autopilot tests (fixtures live in conftest.py)."""

import json
import time
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier
from support import stock

from bot.schedule import Schedule
from orderbot.autopilot import Autopilot, build_autopilot, build_outbox
from sync.alerts import Outbox

CHANNEL = "C0ALERTS"
ADMIN = "U0ADMIN"
GUEST = "U0GUEST"
SIGNING_SECRET = "autopilot-signing-secret"


def unique_skus(shops, n: int, at_least: int = 3) -> list[str]:
    skus = [sku for sku in shops.catalog.cases["unique"] if stock(shops, sku) >= at_least][:n]
    assert len(skus) == n
    return skus


def make_dispatcher(core, poster) -> Outbox:
    """The outbox `orderbot run` builds, posting through `poster`."""
    return build_outbox(core.services, poster)


def make_autopilot(core, poster, shops, *, schedule=Schedule(fetch_at_start=False)) -> Autopilot:
    return build_autopilot(
        core,
        schedule=schedule,
        app_key=shops.tiktok.app_key,
        app_secret=shops.tiktok.app_secret,
        channel=poster,
    )


def alerts(slack_api):
    """The alert channel's messages, oldest first."""
    return slack_api.messages(CHANNEL, include_ephemeral=False)


def button_ids(message) -> list[str]:
    return [
        element["action_id"]
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def words(message) -> str:
    """Everything a reader sees in a message, as one string."""
    return message.text + "\n" + json.dumps(message.blocks, ensure_ascii=False)


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


def signed_push(app_key: str, app_secret: str, payload: dict) -> tuple[bytes, dict]:
    from sync.webhook import sign

    body = json.dumps(payload, separators=(",", ":")).encode()
    return body, {
        "content-type": "application/json",
        "Authorization": sign(app_key, app_secret, body),
    }


def click(base_url: str, action_id: str, value: str, *, user: str, response_url: str, ts: str):
    """A signed block_actions request for a button on the channel message `ts`."""
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": "T0SANDBOX"},
        "api_app_id": "A0ORDERBOT",
        "token": "unused",
        "trigger_id": f"{time.time_ns()}.trigger",
        "team": {"id": "T0SANDBOX", "domain": "sandbox"},
        "container": {
            "type": "message",
            "message_ts": ts,
            "channel_id": CHANNEL,
            "is_ephemeral": False,
        },
        "channel": {"id": CHANNEL, "name": "alerts"},
        "message": {"type": "message", "ts": ts, "text": "alert", "blocks": []},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b1",
                "value": value,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    raw = urlencode({"payload": json.dumps(payload)}).encode()
    stamp = str(int(time.time()))
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": SignatureVerifier(SIGNING_SECRET).generate_signature(
            timestamp=stamp, body=raw
        ),
    }
    return httpx.post(f"{base_url}/slack/events", content=raw, headers=headers, timeout=10)
