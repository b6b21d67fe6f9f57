"""Map SKU…: admins get the mapping form, TikTok SKU filled in (value: that SKU)."""

from bot.errors import guarded
from bot.listeners.run import run_click


@guarded
def map_sku_start_run(body, client, respond, context, logger) -> None:
    run_click(body=body, client=client, respond=respond, context=context, logger=logger)
