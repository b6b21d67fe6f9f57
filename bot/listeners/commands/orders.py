"""/orders <text>: acknowledged at once; the command runs in a lazy listener, then answers."""

from bot import metrics, render
from bot.deliver import present
from bot.deps import Deps
from bot.errors import guarded
from bot.fetch import run_fetch
from commands.types import Fetch


def orders_ack(ack, body, context) -> None:
    deps = Deps.of(context)
    command = deps.core.parse(body.get("text", ""))
    metrics.COMMANDS.labels(type(command).__name__.lower()).inc()
    refusal = deps.refusal(command, body["user_id"])
    if refusal is not None:
        ack(**render.message(refusal), response_type="ephemeral")
    elif isinstance(command, Fetch):
        ack(text=render.FETCH_STARTED, response_type="ephemeral")
    else:
        ack()


@guarded
def orders_run(body, client, respond, context, logger) -> None:
    deps = Deps.of(context)
    user = body["user_id"]
    command = deps.core.parse(body.get("text", ""))
    if deps.refusal(command, user) is not None:
        return  # refused in the ack
    if isinstance(command, Fetch):
        channel = body.get("channel_id")
        run_fetch(deps, user=user, channel=channel, client=client, respond=respond, logger=logger)
        return
    reply = deps.core.execute(command, deps.context(user))
    present(reply, body=body, client=client, respond=respond)
