"""Confirm cancellation (value: "<order_id>|<reason_key>"): cancels, replacing the prompt."""

from bot.deliver import STALE_BUTTON, present, refuse
from bot.deps import Deps
from bot.errors import guarded
from bot.payloads import first_action, user_id
from commands.types import Cancel


def cancel_confirm_ack(ack, body, client, respond, context) -> None:
    ack()
    refuse(Deps.of(context), Cancel, body=body, client=client, respond=respond)


@guarded
def cancel_confirm_run(body, client, respond, context) -> None:
    deps = Deps.of(context)
    user = user_id(body)
    if deps.refusal(Cancel, user) is not None:
        return  # refused in the ack
    order_id, _, reason = first_action(body).get("value", "").partition("|")
    if not order_id or not reason:
        present(STALE_BUTTON, body=body, client=client, respond=respond)
        return
    ctx = deps.context(user, confirmed=True)
    reply = deps.core.execute(Cancel(order_id, reason), ctx)
    present(reply, body=body, client=client, respond=respond, in_place=True)
