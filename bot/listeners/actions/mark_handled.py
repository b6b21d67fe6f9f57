"""Mark handled (value: the alert's key): admins only; the outbox updates the alert in place."""

from bot.errors import guarded
from bot.listeners.run import run_click


@guarded
def mark_handled_run(body, client, respond, context, logger) -> None:
    run_click(body=body, client=client, respond=respond, context=context, logger=logger)
