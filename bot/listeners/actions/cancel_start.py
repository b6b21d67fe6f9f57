"""Cancel…: admins get the reason form (value: the order id); others a private refusal."""

from bot.errors import guarded
from bot.listeners.run import run_click


@guarded
def cancel_start_run(body, client, respond, context, logger) -> None:
    run_click(body=body, client=client, respond=respond, context=context, logger=logger)
