"""A grid row's overflow menu (value: "<action_id>|<order id>"): View, Cancel… or Retry, as
the button it stands for does."""

from bot.errors import guarded
from bot.listeners.run import run_click


@guarded
def order_menu_run(body, client, respond, context, logger) -> None:
    run_click(body=body, client=client, respond=respond, context=context, logger=logger)
