"""Confirm cancellation (value: "<order_id>|<reason_key>"): cancels, replacing the prompt."""

from bot.errors import guarded
from bot.listeners.run import run_click


@guarded
def cancel_confirm_run(body, client, respond, context, logger) -> None:
    run_click(
        body=body, client=client, respond=respond, context=context, logger=logger, in_place=True
    )
