"""Paging through a section (value: "<slug>|<page>"): the grid is replaced in place."""

from bot.errors import guarded
from bot.listeners.run import run_click


@guarded
def page_run(body, client, respond, context, logger) -> None:
    run_click(
        body=body, client=client, respond=respond, context=context, logger=logger, in_place=True
    )
