"""The demo: a newcomer ships an order from the console and sees it move (issue 12)."""

import io

from rich.console import Console

from commands.parse import EXAMPLE_ID
from orderbot.demo import DEMO_TRACKING, run_demo


def test_a_newcomer_ships_an_order_from_the_console_and_sees_it_move():
    out = io.StringIO()
    texts = [
        "/orders due",
        f"/orders ship {EXAMPLE_ID} usps {DEMO_TRACKING}",
        f"/orders show {EXAMPLE_ID}",
        f"sandbox scan {EXAMPLE_ID}",
    ]
    assert run_demo(orders=8, texts=texts, out=Console(file=out, width=200)) == 0
    text = out.getvalue()
    assert "To ship an order as a packer would: /orders ship " in text
    due = text[text.index("> /orders due") : text.index(f"> /orders ship {EXAMPLE_ID}")]
    assert EXAMPLE_ID in due and "Ship By" in due
    shipped = text[text.index(f"> /orders ship {EXAMPLE_ID}") :]
    assert f"Order {EXAMPLE_ID} shipped with USPS {DEMO_TRACKING}" in shipped
    show = text[text.index(f"> /orders show {EXAMPLE_ID}") : text.index("> sandbox scan")]
    assert "Awaiting Collection" in show and f"USPS {DEMO_TRACKING}" in show
    assert "Shipped with USPS" in show  # its history says who shipped it, with what
    assert f"order {EXAMPLE_ID} is now In Transit" in text[text.index("> sandbox scan") :]
