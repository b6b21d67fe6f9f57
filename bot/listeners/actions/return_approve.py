"""Approve: answer a return, refund or buyer cancellation request on TikTok; admins only."""

from bot.errors import guarded
from bot.listeners.run import run_click


@guarded
def return_approve_run(body, client, respond, context, logger) -> None:
    run_click(body=body, client=client, respond=respond, context=context, logger=logger)
