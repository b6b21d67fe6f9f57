"""No token, secret or signature in logs or storage; no buyer contact data in any reply."""

import logging

from sqlalchemy import text

from commands.context import Actor, Context
from commands.execute import execute
from commands.parse import parse


def secrets_in_play(shops) -> set[str]:
    """Configured secrets and tokens, and every signature sent."""
    values = set(shops.environment().values())
    values -= {shops.tiktok.url, shops.etsy.url, str(shops.etsy.shop_id), shops.tiktok.app_key}
    for call in shops.tiktok.calls:
        if call.query.get("sign"):
            values.add(call.query["sign"])
    values.add("test-secret-key-0123456789-abcdefghijkl")
    return {value for value in values if value and len(value) >= 8}


def test_logs_and_database_hold_no_secret(core, shops, caplog):
    shops.tiktok.seed_orders(20)
    shops.tiktok.expire_access_tokens()
    shops.etsy.expire_access_tokens()
    shops.tiktok.faults.burst_429 = 2
    shops.etsy.faults.burst_429 = 2
    with caplog.at_level(logging.DEBUG):
        summary = core.services.engine.fetch()
    assert summary.error is None
    # The refreshed tokens are secrets too: read them from the emulators' issued sets.
    issued = set()
    for call in shops.tiktok.calls + shops.etsy.calls:
        issued.update(v for v in call.query.values() if isinstance(v, str) and len(v) >= 16)
    leaked = [s for s in secrets_in_play(shops) | issued if s in caplog.text]
    assert not leaked, f"secrets in logs: {leaked}"

    with core.db.connect() as connection:
        rows = connection.execute(text("SELECT access_token, refresh_token FROM credentials"))
        stored = " ".join(str(value) for row in rows for value in row)
    assert stored  # refreshed tokens were persisted...
    assert not [s for s in secrets_in_play(shops) if s in stored]  # ...encrypted


def test_no_buyer_contact_data_in_any_reply(core, shops):
    shops.tiktok.seed_orders(30)
    core.services.engine.fetch()
    contact = set()
    for order in shops.tiktok.orders():
        address = order.get("recipient_address") or {}
        for key in ("name", "phone_number", "full_address", "address_line1", "postal_code"):
            if address.get(key):
                contact.add(address[key])
        if order.get("buyer_email"):
            contact.add(order["buyer_email"])
    assert contact, "the sandbox should give buyers contact data to leak"
    ctx = Context(services=core.services, actor=Actor(id="cli", is_admin=True, trusted=True))
    texts = ["status all", "status all 2", "status failed", "status on-hold"] + [
        f"show {order['id']}" for order in shops.tiktok.orders()
    ]
    for typed in texts:
        reply = execute(parse(typed), ctx)
        rendered = repr(reply)
        assert not [value for value in contact if value in rendered], typed
