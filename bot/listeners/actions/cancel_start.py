"""Cancel…: admins get the reason form (value: the order id); others a private refusal."""

from bot.deliver import present, refuse
from bot.deps import Deps
from bot.errors import guarded
from bot.payloads import first_action, user_id
from commands.types import Cancel


def cancel_start_ack(ack, body, client, respond, context) -> None:
    ack()
    refuse(Deps.of(context), Cancel, body=body, client=client, respond=respond)


@guarded
def cancel_start_run(body, client, respond, context) -> None:
    deps = Deps.of(context)
    user = user_id(body)
    if deps.refusal(Cancel, user) is not None:
        return  # refused in the ack
    reply = deps.core.execute(Cancel(first_action(body)["value"]), deps.context(user))
    present(reply, body=body, client=client, respond=respond)  # opens the form
