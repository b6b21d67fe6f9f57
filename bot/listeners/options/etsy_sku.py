"""The Map form's Etsy SKU search (an external select): Slack asks as the user types and the
answer must come in the ack, within 3 s; it is read from the stored index, no Etsy call."""

from bot import render
from bot.deps import Deps
from bot.payloads import user_id
from commands import actions


def etsy_sku_options(ack, body, context) -> None:
    deps = Deps.of(context)
    typed = str(body.get("value") or "")
    choices = deps.core.options(actions.ETSY_SKU_FIELD, typed, deps.context(user_id(body)))
    ack(**render.options(choices))
