"""App Home: publish the user's dashboard (counts per section, last fetch, quick actions).

Acknowledged at once; the dashboard is rendered and published after the ack.
"""

from bot import render
from bot.deps import Deps
from bot.errors import guarded


def app_home_opened_ack(ack) -> None:
    ack()


@guarded
def app_home_opened(body, client, context) -> None:
    event = body.get("event") or {}
    if event.get("tab") != "home":
        return
    deps = Deps.of(context)
    user = event["user"]
    reply = deps.core.home(deps.context(user))
    client.views_publish(user_id=user, view=render.home_view(reply))
