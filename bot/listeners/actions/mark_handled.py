"""Mark handled (value: the alert's key): admins only; the alert is updated in place."""

from bot.alerts import SlackPoster, update_message
from bot.deliver import STALE_BUTTON, present, refuse
from bot.deps import Deps
from bot.errors import guarded
from bot.payloads import channel_id, first_action, user_id
from commands.types import MarkHandled


def mark_handled_ack(ack, body, client, respond, context) -> None:
    ack()
    refuse(Deps.of(context), MarkHandled, body=body, client=client, respond=respond)


@guarded
def mark_handled_run(body, client, respond, context) -> None:
    deps = Deps.of(context)
    if deps.refusal(MarkHandled, user_id(body)) is not None:
        return  # refused in the ack
    key = first_action(body).get("value", "")
    if not key:
        present(STALE_BUTTON, body=body, client=client, respond=respond)
        return
    ctx = deps.context(user_id(body), confirmed=True)
    reply = deps.core.execute(MarkHandled(key), ctx)
    present(reply, body=body, client=client, respond=respond)
    if reply.ok:
        services = deps.services
        poster = SlackPoster(client, channel_id(body) or deps.settings.alert_channel or "")
        update_message(services.sessions, poster, key=key, now=services.clock())
