"""The cancel form (private_metadata: the order id): submitting it cancels, confirmed.

The modal turns into a "working" screen at once and shows the outcome when the core is done.
"""

from bot import render
from bot.deliver import show_in_view
from bot.deps import Deps
from bot.errors import guarded
from bot.payloads import form_values, user_id
from commands.types import Cancel

TITLE = "Cancel order"


def _reason_field(view) -> str | None:
    """The block id of the form's reason menu."""
    for block in view.get("blocks", []):
        if block.get("type") == "input" and block["element"]["type"] == "static_select":
            return block["block_id"]
    return None


def _request(view) -> tuple[str, str | None, str | None]:
    """(order id, reason key, id of the reason field)."""
    field = _reason_field(view)
    reason = form_values(view).get(field) if field else None
    return view.get("private_metadata", ""), reason, field


def cancel_form_ack(ack, body, view, context) -> None:
    deps = Deps.of(context)
    refusal = deps.refusal(Cancel, user_id(body))
    if refusal is not None:
        ack(response_action="update", view=render.notice_modal(TITLE, refusal.text))
        return
    order_id, reason, field = _request(view)
    if reason is None:
        ack(response_action="errors", errors={field or "reason": "Choose a reason."})
        return
    working = f"Cancelling order {order_id}… {render.WORKING}"
    ack(response_action="update", view=render.notice_modal(TITLE, working))


@guarded
def cancel_form_run(body, client, context) -> None:
    deps = Deps.of(context)
    user = user_id(body)
    view = body["view"]
    order_id, reason, _ = _request(view)
    if deps.refusal(Cancel, user) is not None or reason is None:
        return  # answered in the ack
    ctx = deps.context(user, confirmed=True)
    reply = deps.core.execute(Cancel(order_id, reason), ctx)
    show_in_view(client, view["id"], reply, title=TITLE)
