"""At any terminal width an order id is shown whole: the one thing a seller must read and copy."""

import re

import pytest

from commands import views
from commands.context import Actor, Context
from commands.execute import execute
from commands.replies import Reply, Table
from commands.types import Show, Status
from orderbot.render_text import render_text
from storage import queries
from sync.sections import Section
from tests.utils.catalog import stock

OPERATOR = Actor("cli", is_admin=True, trusted=True)
WIDTHS = (60, 80, 100)


def orders_of_every_kind(core, shops) -> list[str]:
    """Placed orders with long line items, and failed ones with long reasons."""
    skus = [s for s in shops.catalog.cases["unique"] if stock(shops, s) >= 3][:6]
    ids = [
        shops.tiktok.add_order(skus=skus[:3])["id"],
        shops.tiktok.add_order(skus=skus[3:6])["id"],
        shops.tiktok.add_order(skus=["TT-GHOST-1", skus[0]])["id"],
        shops.tiktok.add_order(skus=["CANDLE-SOY"])["id"],  # on products of differing stock
        shops.tiktok.add_order(skus=skus[:1], fulfillment_type="FULFILLMENT_BY_TIKTOK")["id"],
    ]
    core.services.engine.fetch()
    return ids


def shown(reply: Reply, width: int) -> str:
    text = render_text(reply, width=width)
    too_wide = [line for line in text.split("\n") if len(line) > width]
    assert not too_wide, too_wide
    return text


def whole_ids(text: str) -> set[str]:
    return set(re.findall(r"(?<![\d…])\d{18}(?![\d…])", text))


@pytest.mark.parametrize("width", WIDTHS)
def test_the_status_grid_never_cuts_an_order_id(core, shops, width):
    ids = orders_of_every_kind(core, shops)
    ctx = Context(core.services, OPERATOR)
    for command in (Status(None), Status(Section.FAILED)):
        text = shown(execute(command, ctx), width)
        assert "…" not in text
        wanted = ids if command.section is None else ids[2:4]
        assert set(wanted) <= whole_ids(text), text


@pytest.mark.parametrize("width", WIDTHS)
def test_one_order_in_full_never_cuts_an_id_or_its_history(core, shops, width):
    ids = orders_of_every_kind(core, shops)
    ctx = Context(core.services, OPERATOR)
    for order_id in ids:
        text = shown(execute(Show(order_id), ctx), width)
        assert order_id in whole_ids(text)
        body = [line for line in text.split("\n") if not line.startswith("[")]
        assert "…" not in "".join(body)  # only button labels ("Cancel…") end in one
    failed = shown(execute(Show(ids[2]), ctx), width)
    assert "no Etsy listing has SKU" in " ".join(failed.split())  # the reason, wrapped whole


@pytest.mark.parametrize("width", WIDTHS)
def test_other_grids_of_orders_keep_their_ids_whole(core, shops, width):
    ids = orders_of_every_kind(core, shops)
    with core.services.sessions() as session:
        shop_id = core.services.shop_id
        orders = [
            queries.order_by_tiktok_id(session, shop_id=shop_id, tiktok_order_id=i) for i in ids
        ]
        keys = [order.id for order in orders]
        lines = queries.lines_of(session, order_ids=keys)
        reservations = queries.reservations_of(session, order_ids=keys)
    grid = views.grid_table(orders, lines, reservations)  # as "View all" of new orders shows
    narrow = Table(("Order", "On Etsy", "Why"), tuple((i, "not placed", "x " * 40) for i in ids))
    for table in (grid, narrow):
        text = shown(Reply("", blocks=(table,)), width)
        assert set(ids) <= whole_ids(text)


def test_a_wide_terminal_keeps_the_grid_a_table_and_a_narrow_one_shows_blocks(core, shops):
    orders_of_every_kind(core, shops)
    reply = execute(Status(None), Context(core.services, OPERATOR))
    wide, narrow = render_text(reply, width=160), render_text(reply, width=80)
    assert re.search(r"^TTS order ID +Fulfilled By", wide, re.M)
    assert re.search(r"^\d{18}$", narrow, re.M)  # an order's block starts with its id
    assert re.search(r"^  Order Status: ", narrow, re.M)
