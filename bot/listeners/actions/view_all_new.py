"""View all (value: a "new orders" summary's key): every order it stands for, privately."""

from bot.errors import guarded
from bot.listeners.run import run_click


@guarded
def view_all_new_run(body, client, respond, context, logger) -> None:
    run_click(body=body, client=client, respond=respond, context=context, logger=logger)
