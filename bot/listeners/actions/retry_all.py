"""Retry all (value: a failure group alert's key): retry every order of it that still fails;
admins only."""

from bot.errors import guarded
from bot.listeners.run import run_click


@guarded
def retry_all_run(body, client, respond, context, logger) -> None:
    run_click(body=body, client=client, respond=respond, context=context, logger=logger)
