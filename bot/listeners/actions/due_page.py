"""Paging through the orders to ship (value: the page number): the list is replaced in place."""

from bot.errors import guarded
from bot.listeners.run import run_click


@guarded
def due_page_run(body, client, respond, context, logger) -> None:
    run_click(
        body=body, client=client, respond=respond, context=context, logger=logger, in_place=True
    )
