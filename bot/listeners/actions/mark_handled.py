"""Mark handled (value: the alert's key): admins only; the alert is updated in place."""

from bot.alerts import SlackPoster, update_message
from bot.deps import Deps
from bot.errors import guarded
from bot.listeners.run import command_of, run_click
from bot.payloads import channel_id


@guarded
def mark_handled_run(body, client, respond, context, logger) -> None:
    reply = run_click(body=body, client=client, respond=respond, context=context, logger=logger)
    if reply is not None and reply.ok:
        deps = Deps.of(context)
        services = deps.services
        poster = SlackPoster(client, channel_id(body) or deps.settings.alert_channel or "")
        key = command_of(context).alert_key
        update_message(services.sessions, poster, key=key, now=services.clock())
