from slack_bolt import App

from bot.listeners.views.cancel_form import cancel_form_ack, cancel_form_run
from bot.listeners.views.map_sku_form import map_sku_form_ack, map_sku_form_run
from bot.listeners.views.return_reject_form import return_reject_form_ack, return_reject_form_run
from bot.listeners.views.ship_form import ship_form_ack, ship_form_run
from commands import actions as ids


def register(app: App) -> None:
    app.view(ids.CANCEL_FORM)(ack=cancel_form_ack, lazy=[cancel_form_run])
    app.view(ids.MAP_SKU_FORM)(ack=map_sku_form_ack, lazy=[map_sku_form_run])
    app.view(ids.RETURN_REJECT_FORM)(ack=return_reject_form_ack, lazy=[return_reject_form_run])
    app.view(ids.SHIP_FORM)(ack=ship_form_ack, lazy=[ship_form_run])
