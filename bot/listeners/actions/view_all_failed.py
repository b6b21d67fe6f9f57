"""View all (value: a failure group alert's key): every order of it as it stands, privately."""

from bot.errors import guarded
from bot.listeners.run import run_click


@guarded
def view_all_failed_run(body, client, respond, context, logger) -> None:
    run_click(body=body, client=client, respond=respond, context=context, logger=logger)
