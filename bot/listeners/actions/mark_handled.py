"""Mark handled (value: the alert's key): admins only; the outbox updates the alert in place."""

from bot.deliver import STALE_BUTTON, present
from bot.deps import Deps
from bot.errors import guarded
from bot.payloads import first_action, request_key, user_id
from commands.types import MarkHandled


def mark_handled_ack(ack) -> None:
    ack()


@guarded
def mark_handled_run(body, client, respond, context) -> None:
    deps = Deps.of(context)
    key = first_action(body).get("value", "")
    if not key:
        present(STALE_BUTTON, body=body, client=client, respond=respond)
        return
    ctx = deps.context(user_id(body), confirmed=True, request_key=request_key(body))
    reply = deps.core.execute(MarkHandled(key), ctx)
    present(reply, body=body, client=client, respond=respond)
