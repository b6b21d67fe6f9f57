"""Fetch now (App Home and alerts): a fetch whose progress is shown in place."""

from bot import render
from bot.deps import Deps
from bot.errors import guarded
from bot.fetch import run_fetch
from bot.payloads import channel_id, user_id, view_kind


def fetch_now_ack(ack) -> None:
    ack()


@guarded
def fetch_now_run(body, client, respond, context, logger) -> None:
    deps = Deps.of(context)
    user = user_id(body)
    from_home = view_kind(body) == "home"
    # From App Home the progress goes to the user's DM with the app (posting to a user id).
    channel = user if from_home else channel_id(body)
    run_fetch(deps, user=user, channel=channel, client=client, respond=respond, logger=logger)
    if from_home:
        home = deps.core.home(deps.context(user))
        client.views_publish(user_id=user, view=render.home_view(home))
