"""Restock on Etsy: give back the units of an order whose delivery failed; admins only."""

from bot.deliver import present, refuse
from bot.deps import Deps
from bot.errors import guarded
from bot.payloads import first_action, user_id
from commands.types import Restock


def restock_ack(ack, body, client, respond, context) -> None:
    ack()
    refuse(Deps.of(context), Restock, body=body, client=client, respond=respond)


@guarded
def restock_run(body, client, respond, context) -> None:
    deps = Deps.of(context)
    user = user_id(body)
    if deps.refusal(Restock, user) is not None:
        return  # refused in the ack
    ctx = deps.context(user, confirmed=True)
    reply = deps.core.execute(Restock(first_action(body)["value"]), ctx)
    present(reply, body=body, client=client, respond=respond)
