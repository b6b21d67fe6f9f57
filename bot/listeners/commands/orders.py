"""/orders <text>: acknowledged at once; the command runs in a lazy listener, then answers."""

from bot import metrics, render
from bot.deps import Deps
from bot.errors import guarded
from bot.listeners.run import command_of, refusal, run_command
from commands.types import Fetch


def orders_ack(ack, body, context) -> None:
    command = command_of(context)  # parsed once, before the ack (bot.listeners.run)
    metrics.COMMANDS.labels(type(command).__name__.lower()).inc()
    refused = refusal(context, body)
    if refused is not None:
        ack(**render.message(refused), response_type="ephemeral")
    elif isinstance(command, Fetch):
        ack(text=render.FETCH_STARTED, response_type="ephemeral")
    else:
        ack()


@guarded
def orders_run(body, client, respond, context, logger) -> None:
    if refusal(context, body) is not None:
        return  # refused in the ack
    deps = Deps.of(context)
    command = command_of(context)
    run_command(deps, command, body=body, client=client, respond=respond, logger=logger)
