"""Fetch now (App Home and alerts): a fetch whose progress is shown in place."""

from bot import render
from bot.deps import Deps
from bot.errors import guarded
from bot.listeners.run import run_click
from bot.payloads import user_id, view_kind


@guarded
def fetch_now_run(body, client, respond, context, logger) -> None:
    run_click(body=body, client=client, respond=respond, context=context, logger=logger)
    if view_kind(body) == "home":
        deps = Deps.of(context)
        user = user_id(body)
        home = deps.core.home(deps.context(user))
        client.views_publish(user_id=user, view=render.home_view(home))
