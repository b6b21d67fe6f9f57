"""`/orders stock <sku>` and the stock pushes `/orders show` shows (SPEC §3.2)."""

import pytest

from commands.context import Actor, Context
from commands.execute import execute
from commands.parse import parse
from commands.replies import Heading, KeyValues, Table
from commands.types import Invalid, Show, Stock
from orderbot.compose import build_core
from storage.db import make_engine, migrate
from tests.utils import ids
from tests.utils.catalog import stock, unique_skus
from tests.utils.settings import core_settings

GUEST = Actor(ids.GUEST, is_admin=False)


@pytest.fixture
def pushing(shops, database_url):
    migrate(make_engine(database_url))
    core = build_core(
        core_settings(shops, database_url, ORDERBOT_STOCK_PUSH="on", ORDERBOT_STOCK_BUFFER="2"),
        client_options={"sleep": lambda _s: None},
    )
    yield core
    core.close()


def run(core, command):
    return execute(command, Context(core.services, GUEST))  # reading stock is for everyone


def facts(reply) -> dict:
    return dict(
        item for block in reply.blocks if isinstance(block, KeyValues) for item in block.items
    )


def push_rows(reply) -> list:
    heads = [b for b in reply.blocks if isinstance(b, Heading | Table)]
    for head, table in zip(heads, heads[1:], strict=False):
        if isinstance(head, Heading) and head.text == "Stock pushes to TikTok":
            return list(table.rows)
    return []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stock MUG-01-RED", Stock("MUG-01-RED")),
        ("/orders STOCK “mug-01”", Stock("mug-01")),
    ],
)
def test_stock_parses(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize("text", ["stock", "stock A B", "stock <@U1>"])
def test_stock_needs_one_sku(text):
    assert isinstance(parse(text), Invalid)


def test_stock_shows_both_quantities_the_listing_and_the_last_pushes(pushing, shops):
    (sku,) = unique_skus(shops, 1, at_least=5)
    pushing.services.engine.fetch()

    reply = run(pushing, Stock(sku))

    assert reply.ok
    shown = facts(reply)
    etsy = stock(shops, sku)
    assert f"{sku}: {etsy} units on listing " in shown["Etsy"]
    assert f"{etsy - 2} available" in shown["TikTok"]  # read from TikTok now
    assert "keeping 2 unit(s) back" in shown["Stock push"]
    (row,) = push_rows(reply)
    assert row[1:] == (sku, f"{sku} {etsy}", "2", str(etsy - 2), "pushed")


def test_stock_tells_why_a_sku_is_not_pushed(pushing, shops):
    pushing.services.engine.fetch()
    reply = run(pushing, Stock("TT-GHOST-1"))
    assert reply.ok and "is on no Etsy listing" in facts(reply)["Not pushed"]
    assert push_rows(reply) == []


def test_stock_of_an_unknown_sku_is_a_clear_answer(pushing):
    pushing.services.engine.fetch()
    reply = run(pushing, Stock("NO-SUCH-SKU"))
    assert not reply.ok and "NO-SUCH-SKU is neither a TikTok SKU" in reply.text


def test_stock_says_when_push_is_off(core, shops):
    (sku,) = unique_skus(shops, 1)
    core.services.engine.fetch()
    reply = run(core, Stock(sku))
    shown = facts(reply)
    assert "off (ORDERBOT_STOCK_PUSH=off)" in shown["Stock push"]
    # Not catalogued with push off: TikTok is asked (seller SKU search, then its stock).
    available = shops.tiktok.inventory(
        next(s["id"] for p in shops.tiktok.products() for s in p["skus"] if s["seller_sku"] == sku)
    )["total_available_quantity"]
    assert f"{sku} (SKU id " in shown["TikTok"] and f"{available} available" in shown["TikTok"]


def test_show_lists_the_pushes_of_the_orders_skus(pushing, shops):
    (sku,) = unique_skus(shops, 1, at_least=5)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    pushing.services.engine.fetch()

    rows = push_rows(run(pushing, Show(order_id)))

    assert rows and all(row[1] == sku for row in rows)


def test_a_mapped_sku_is_pushed_and_found_by_either_name(pushing, shops):
    engine = pushing.services.engine
    engine.fetch()
    assert "on no Etsy listing" in facts(run(pushing, Stock("TT-TOTE-CANVAS")))["Not pushed"]
    engine.map_sku("TT-TOTE-CANVAS", "TOTE-CANVAS", actor=ids.ADMIN)
    engine.fetch()

    for name in ("TT-TOTE-CANVAS", "TOTE-CANVAS"):
        reply = run(pushing, Stock(name))
        assert "TT-TOTE-CANVAS (SKU id" in facts(reply)["TikTok"]
        assert "Not pushed" not in facts(reply)
        (row, *_) = push_rows(reply)
        assert row[1:3] == ("TT-TOTE-CANVAS", f"TOTE-CANVAS {stock(shops, 'TOTE-CANVAS')}")
