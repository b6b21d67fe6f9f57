"""View: show one order in full (value: the order id)."""

from bot.errors import guarded
from bot.listeners.run import run_click


@guarded
def view_order_run(body, client, respond, context, logger) -> None:
    run_click(body=body, client=client, respond=respond, context=context, logger=logger)
