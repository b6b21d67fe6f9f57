"""Retry: place a failed order on Etsy again (value: the order id); admins only."""

from bot.deliver import present, refuse
from bot.deps import Deps
from bot.errors import guarded
from bot.payloads import first_action, user_id
from commands.types import Retry


def retry_placement_ack(ack, body, client, respond, context) -> None:
    ack()
    refuse(Deps.of(context), Retry, body=body, client=client, respond=respond)


@guarded
def retry_placement_run(body, client, respond, context) -> None:
    deps = Deps.of(context)
    user = user_id(body)
    if deps.refusal(Retry, user) is not None:
        return  # refused in the ack
    ctx = deps.context(user, confirmed=True)
    reply = deps.core.execute(Retry(first_action(body)["value"]), ctx)
    present(reply, body=body, client=client, respond=respond)
