"""App Home: publish the user's dashboard (counts per section, last fetch, quick actions)."""

from bot import render
from bot.deps import Deps


def app_home_opened(event, client, context) -> None:
    if event.get("tab") != "home":
        return
    deps = Deps.of(context)
    user = event["user"]
    reply = deps.core.home(deps.context(user))
    client.views_publish(user_id=user, view=render.home_view(reply))
