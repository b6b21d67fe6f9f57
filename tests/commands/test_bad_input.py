"""Every command with malformed input: a clear answer, escaped when echoed, nothing changed."""

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.render import message
from commands.context import Actor, Context
from commands.execute import execute
from commands.parse import parse
from storage.models import Order, OrderEvent, SkuMapping

MALFORMED = [
    "status nowhere",
    "status shipping -1",
    "status all page two",
    "show",
    "show abc",
    "show 12345678901234567890123456789",
    "show 999999999999999999",
    "show 1; DROP TABLE orders",
    "cancel",
    "cancel abc out of stock",
    "cancel 999999999999999999 out of stock",
    "unmap",
    "map ONLY-ONE",
    "map <!channel> X",
    "map <@U123> X",
    "retry",
    "retry 999999999999999999",
    "frobnicate",
    "<!channel>",
    "status <!channel>",
    "show *bold* `code`",
    "status 🛒🛒🛒",
    "show ５７６",
    "x" * 4000,
    "status " + "a" * 4000,
]


def snapshot(core, shops):
    with core.services.sessions() as session:
        counts = tuple(
            session.exec(select(func.count()).select_from(model)).one()
            for model in (Order, OrderEvent, SkuMapping)
        )
    writes = [c for c in shops.tiktok.calls + shops.etsy.calls if c.method in ("POST", "PUT")]
    return counts, shops.etsy.quantities(), len(writes)


def mrkdwn_texts(payload) -> list[str]:
    """Texts Slack reads as mrkdwn: the top-level fallback text and every mrkdwn text object."""
    found = [payload["text"]]

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(payload.get("blocks", []))
    return found


@pytest.fixture
def fetched(core, shops):
    shops.tiktok.seed_orders(10)
    core.services.engine.fetch()
    return core


@pytest.mark.parametrize("text", MALFORMED)
@pytest.mark.parametrize("admin", [True, False])
def test_malformed_input_is_answered_and_changes_nothing(fetched, shops, text, admin):
    before = snapshot(fetched, shops)
    ctx = Context(services=fetched.services, actor=Actor(id="U1", is_admin=admin))
    reply = execute(parse(text), ctx)

    assert reply.ok is False
    assert reply.text.strip()
    assert len(reply.text) < 1000  # a long paste is not echoed back whole
    for text_value in mrkdwn_texts(message(reply)):
        assert "<!" not in text_value and "<@" not in text_value  # escaped where Slack parses
    assert snapshot(fetched, shops) == before
