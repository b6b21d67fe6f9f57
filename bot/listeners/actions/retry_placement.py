"""Retry: place a failed order on Etsy again (value: the order id); admins only."""

from bot.errors import guarded
from bot.listeners.run import run_click


@guarded
def retry_placement_run(body, client, respond, context, logger) -> None:
    run_click(body=body, client=client, respond=respond, context=context, logger=logger)
