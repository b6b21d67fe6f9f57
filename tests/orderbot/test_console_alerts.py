"""The demo's alert channel in the console: numbered buttons (`[7: Mark handled]`) that press
as a click in Slack does, alerts held while a command runs, and the prompt put back after an
alert that arrives while the operator is at it."""

import io

from rich.console import Console

from commands.replies import Actions, Button, Paragraph, Reply
from orderbot.autopilot import build_outbox
from orderbot.console import ConsoleSession, interactive
from orderbot.console_alerts import PROMPT, ConsoleAlerts, numbered
from tests.utils.catalog import stock


def console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=200), buffer


def alert(text: str = "Something new") -> Reply:
    return Reply(
        text=text,
        blocks=(Paragraph(text), Actions((Button("View", "order_view", "1"),))),
        public=True,
    )


def test_buttons_are_printed_with_their_alert_number():
    out, buffer = console()
    alerts = ConsoleAlerts(out)
    assert alerts.post(alert(), key="new_order:1") == ("console", "1")
    assert "[alert 1]" in buffer.getvalue() and "[1: View]" in buffer.getvalue()
    assert numbered(alert(), "7").blocks[1].buttons[0].label == "7: View"
    assert alerts.find(["new_order:1", "new_order:2"], since=None) == {
        "new_order:1": ("console", "1")
    }


def test_an_alert_during_a_command_prints_after_its_reply():
    out, buffer = console()
    alerts = ConsoleAlerts(out)
    with alerts.holding():
        alerts.post(alert("async news"), key="k")
        assert "async news" not in buffer.getvalue()
        out.print("the command's reply")
    text = buffer.getvalue()
    assert text.index("the command's reply") < text.index("async news")


def test_an_alert_at_the_prompt_puts_the_prompt_back_after_it():
    out, buffer = console()
    alerts = ConsoleAlerts(out)
    alerts.prompt()
    alerts.post(alert("async news"), key="k")
    assert buffer.getvalue().endswith(PROMPT)  # ready to type again, under the alert
    alerts.prompt_answered()
    alerts.post(alert("more news"), key="k2")
    assert not buffer.getvalue().endswith(PROMPT)


def test_alert_buttons_press_as_in_slack_and_bad_presses_are_answered(core, shops):
    (sku,) = [s for s in shops.catalog.cases["unique"] if stock(shops, s) >= 2][:1]
    order_id = shops.tiktok.add_order(skus=[sku, sku], status="IN_TRANSIT")["id"]
    engine = core.services.engine
    engine.fetch()
    shops.tiktok.system_cancel(order_id, "package_lost")
    engine.refresh_orders([order_id])
    out, buffer = console()
    alerts = ConsoleAlerts(out)
    outbox = build_outbox(core.services, alerts)
    assert outbox.dispatch().posted == [f"delivery_failed:{order_id}"]  # alert 1
    shown = buffer.getvalue()
    assert "[alert 1]" in shown and "[1: Restock on Etsy] [1: Mark handled] [1: View]" in shown

    interactive(
        ConsoleSession(core.services, out, alerts=alerts),
        out,
        lines=["[1: Mark handled]", "[1: Nope]", "[99: View]", "[1: view]"],
    )
    text = buffer.getvalue()[len(shown) :]
    assert f"Marked the alert for order {order_id} handled." in text
    assert "Alert 1 has no button [Nope] (now: [1: Restock on Etsy]" in text
    assert "No alert 99 has been shown." in text
    assert "Line items" in text and "History" in text  # [1: view] showed the order
    assert "Alert marked handled" in text  # … whose history says it was handled
    outbox.dispatch()  # the history grew: the alert is shown again, its buttons the new ones
    assert "[alert 1, updated]" in buffer.getvalue()
    assert alerts.button("[1: Mark handled]") == (
        "Alert 1 has no button [Mark handled] (now: [1: View])."
    )
