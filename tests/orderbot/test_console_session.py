"""The console: every button a reply shows can be pressed (the startup summary's too), with
Slack's confirmations; the reason picker says what a number does; sandbox controls."""

import io

from rich.console import Console

from commands.context import Actor, Context
from commands.execute import execute
from commands.replies import Actions
from commands.types import Fetch
from orderbot.console import ConsoleSession, show
from orderbot.sandbox_console import sandbox_commands
from tests.utils.catalog import stock

OPERATOR = Actor("cli", is_admin=True, trusted=True)


def session(core, **options) -> ConsoleSession:
    return ConsoleSession(core.services, Console(file=io.StringIO(), width=120), **options)


def labels(reply) -> list[str]:
    return [b.label for block in reply.blocks if isinstance(block, Actions) for b in block.buttons]


def test_the_startup_summary_counts_as_the_last_reply(core, shops):
    shops.tiktok.add_order(skus=["TT-GHOST-1"])
    summary = execute(Fetch(), Context(core.services, OPERATOR))
    assert labels(summary) == ["Show failed orders"]

    reply = session(core, last=summary).answer("[Show failed orders]")

    assert reply.ok and reply.text.startswith("Failed: 1 order")


def test_every_button_shown_can_be_pressed(core, shops):
    sku = next(s for s in shops.catalog.cases["unique"] if stock(shops, s) >= 3)
    failed = shops.tiktok.add_order(skus=["TT-GHOST-1"])["id"]
    for _ in range(21):
        shops.tiktok.add_order(skus=[sku])
    core.services.engine.fetch()
    console = session(core)
    for text in ("status all", "status failed 2", f"show {failed}", "status all 2"):
        for label in labels(console.answer(text)):
            console.answer(text)  # the reply again: pressing may have moved on
            pressed = console.answer(f"[{label}]")
            assert "No button" not in pressed.text and "does nothing" not in pressed.text, label
            if pressed.form is None:
                assert pressed.ok or "still cannot be placed" in pressed.text, (label, pressed.text)


def test_a_button_with_a_confirmation_asks_first_as_in_slack(core, shops):
    sku = next(s for s in shops.catalog.cases["unique"] if stock(shops, s) >= 3)
    order_id = shops.tiktok.add_order(skus=[sku], status="IN_TRANSIT")["id"]
    engine = core.services.engine
    engine.fetch()
    shops.tiktok.system_cancel(order_id, "package_lost")
    engine.refresh_orders([order_id])
    reserved = stock(shops, sku)
    console = session(core)
    assert "Restock on Etsy" in labels(console.answer(f"show {order_id}"))

    asked = console.answer("[Restock on Etsy]")
    assert "Give order" in asked.text and "Type yes" in asked.text
    assert console.answer("no").text.startswith("[Restock on Etsy] not pressed")
    assert stock(shops, sku) == reserved
    console.answer("[Restock on Etsy]")
    done = console.answer("yes")
    assert done.ok and "stock given back" in done.text and stock(shops, sku) == reserved + 1


def test_the_reason_picker_says_what_a_number_does_and_anything_else_keeps_the_order(core, shops):
    sku = next(s for s in shops.catalog.cases["unique"] if stock(shops, s) >= 3)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    core.services.engine.fetch()
    console = session(core)
    out = io.StringIO()

    show(console.answer(f"cancel {order_id}"), Console(file=out, width=100))
    kept = console.answer("keep it")

    assert (
        "Type 1–4 to cancel with that reason, or anything else to keep the order." in out.getvalue()
    )
    assert "nothing was changed" in kept.text
    assert shops.tiktok.order(order_id)["status"] == "AWAITING_SHIPMENT"
    assert not console.answer("1").ok  # the picker was left: a number is no command
    console.answer(f"cancel {order_id}")
    assert f"Order {order_id} cancelled" in console.answer("1").text


def test_sandbox_controls_move_an_order_on_tiktok(core, shops):
    order_id = shops.tiktok.add_order(skus=["TT-GHOST-1"], status="AWAITING_COLLECTION")["id"]
    console = session(core, local=sandbox_commands(shops.tiktok))

    moved = console.answer(f"sandbox scan {order_id}")
    listed = console.answer("sandbox")
    unknown = console.answer("sandbox deliver 1")
    refused = console.answer(f"sandbox buyer-cancel {order_id}")

    assert moved.ok and "is now In Transit" in moved.text
    assert shops.tiktok.order(order_id)["status"] == "IN_TRANSIT"
    assert "sandbox advance <order_id>" in str(listed.blocks)
    assert not unknown.ok and "no order 1" in unknown.text
    assert not refused.ok and "the buyer cannot cancel" in refused.text
