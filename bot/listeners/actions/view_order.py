"""View: show one order in full (value: the order id)."""

from bot.deliver import present
from bot.deps import Deps
from bot.errors import guarded
from bot.payloads import first_action, user_id
from commands.types import Show


def view_order_ack(ack) -> None:
    ack()


@guarded
def view_order_run(body, client, respond, context) -> None:
    deps = Deps.of(context)
    reply = deps.core.execute(Show(first_action(body)["value"]), deps.context(user_id(body)))
    present(reply, body=body, client=client, respond=respond)
