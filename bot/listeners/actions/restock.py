"""Restock on Etsy: give back the units of an order whose delivery failed; admins only."""

from bot.errors import guarded
from bot.listeners.run import run_click


@guarded
def restock_run(body, client, respond, context, logger) -> None:
    run_click(body=body, client=client, respond=respond, context=context, logger=logger)
