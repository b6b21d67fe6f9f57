"""View all (value: a "new orders" summary's key): every order it stands for, privately."""

from bot.deliver import STALE_BUTTON, present
from bot.deps import Deps
from bot.errors import guarded
from bot.payloads import first_action, user_id
from commands.types import ViewAllNew


def view_all_new_ack(ack) -> None:
    ack()


@guarded
def view_all_new_run(body, client, respond, context) -> None:
    deps = Deps.of(context)
    key = first_action(body).get("value", "")
    if not key:
        present(STALE_BUTTON, body=body, client=client, respond=respond)
        return
    reply = deps.core.execute(ViewAllNew(key), deps.context(user_id(body)))
    present(reply, body=body, client=client, respond=respond)
