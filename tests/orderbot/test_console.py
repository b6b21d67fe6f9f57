"""The demo console: command texts, button presses by label, and form answers by number."""

import io

from rich.console import Console

from orderbot.console import ConsoleSession, interactive
from tests.utils.catalog import stock


def run_console(core, lines: list[str]) -> str:
    buffer = io.StringIO()
    out = Console(file=buffer, width=200)
    interactive(ConsoleSession(core.services, out), out, lines=lines)
    return buffer.getvalue()


def test_buttons_page_and_a_form_cancels_once(core, shops):
    shops.tiktok.seed_orders(30)
    sku = next(s for s in shops.catalog.cases["unique"] if stock(shops, s) >= 2)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    core.services.engine.fetch()
    placed = stock(shops, sku)

    output = run_console(
        core, ["status all", "[Next]", "[Nope]", f"cancel {order_id}", "9", "1", "quit", "help"]
    )

    assert "page 1 of 2" in output and "page 2 of 2" in output
    assert "No button [Nope]" in output
    assert "Pick a number from 1 to" in output
    assert f"Order {order_id} cancelled on TikTok Shop" in output
    assert "/orders fetch" not in output  # `quit` ended the console before `help`
    assert shops.tiktok.order(order_id)["status"] == "CANCELLED"
    assert stock(shops, sku) == placed + 1  # the cancelled unit came back


def test_order_buttons_do_what_they_do_in_slack(core, shops):
    order_id = shops.tiktok.add_order(skus=["TT-GHOST-1"])["id"]  # no Etsy listing sells it
    core.services.engine.fetch()

    output = run_console(core, [f"show {order_id}", "[Retry placement]", "[Map TT-GHOST-1]"])

    assert f"Order {order_id} still cannot be placed" in output  # the retry ran, and failed
    assert "Map a SKU" in output and "TikTok SKU: TT-GHOST-1" in output  # the mapping form
