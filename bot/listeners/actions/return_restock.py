"""Restock on Etsy: give back the units of a return whose parcel came back; admins only."""

from bot.errors import guarded
from bot.listeners.run import run_click


@guarded
def return_restock_run(body, client, respond, context, logger) -> None:
    run_click(body=body, client=client, respond=respond, context=context, logger=logger)
