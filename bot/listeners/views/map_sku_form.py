"""The SKU mapping form: submitting it records the mapping and retries what failed on it."""

from bot import render
from bot.deliver import show_in_view
from bot.deps import Deps
from bot.errors import guarded
from bot.payloads import form_values, user_id
from commands.types import Map

TITLE = "Map a SKU"
FIELDS = {"tiktok_sku": "Enter the TikTok SKU.", "etsy_sku": "Enter the Etsy SKU."}


def map_sku_form_ack(ack, body, view, context) -> None:
    deps = Deps.of(context)
    refusal = deps.refusal(Map, user_id(body))
    if refusal is not None:
        ack(response_action="update", view=render.notice_modal(TITLE, refusal.text))
        return
    values = form_values(view)
    missing = {field: message for field, message in FIELDS.items() if field not in values}
    if missing:
        ack(response_action="errors", errors=missing)
        return
    working = f"Mapping {values['tiktok_sku']} to {values['etsy_sku']}… {render.WORKING}"
    ack(response_action="update", view=render.notice_modal(TITLE, working))


@guarded
def map_sku_form_run(body, client, context) -> None:
    deps = Deps.of(context)
    user = user_id(body)
    view = body["view"]
    values = form_values(view)
    if deps.refusal(Map, user) is not None or any(field not in values for field in FIELDS):
        return  # answered in the ack
    ctx = deps.context(user, confirmed=True)
    reply = deps.core.execute(Map(values["tiktok_sku"], values["etsy_sku"]), ctx)
    show_in_view(client, view["id"], reply, title=TITLE)
