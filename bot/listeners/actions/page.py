"""Paging through a section (value: "<slug>|<page>"): the grid is replaced in place."""

from bot.deliver import STALE_BUTTON, present
from bot.deps import Deps
from bot.errors import guarded
from bot.payloads import first_action, user_id


def page_ack(ack) -> None:
    ack()


@guarded
def page_run(body, client, respond, context) -> None:
    deps = Deps.of(context)
    slug, _, page = first_action(body).get("value", "").partition("|")
    if not slug or not page.isdigit():
        present(STALE_BUTTON, body=body, client=client, respond=respond)
        return
    command = deps.core.parse(f"status {slug} {page}")
    reply = deps.core.execute(command, deps.context(user_id(body)))
    present(reply, body=body, client=client, respond=respond, in_place=True)
