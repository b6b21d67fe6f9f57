"""Reject…: admins get the form with TikTok's reject reasons for the request; others a
private refusal."""

from bot.errors import guarded
from bot.listeners.run import run_click


@guarded
def return_reject_start_run(body, client, respond, context, logger) -> None:
    run_click(body=body, client=client, respond=respond, context=context, logger=logger)
