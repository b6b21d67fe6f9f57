from slack_bolt import App

from bot.listeners.actions.cancel_confirm import cancel_confirm_ack, cancel_confirm_run
from bot.listeners.actions.cancel_start import cancel_start_ack, cancel_start_run
from bot.listeners.actions.fetch_now import fetch_now_ack, fetch_now_run
from bot.listeners.actions.map_sku_start import map_sku_start
from bot.listeners.actions.mark_handled import mark_handled_ack, mark_handled_run
from bot.listeners.actions.page import page_ack, page_run
from bot.listeners.actions.restock import restock_ack, restock_run
from bot.listeners.actions.retry_placement import retry_placement_ack, retry_placement_run
from bot.listeners.actions.view_all_new import view_all_new_ack, view_all_new_run
from bot.listeners.actions.view_order import view_order_ack, view_order_run
from bot.render import action_pattern
from commands import actions as ids


def register(app: App) -> None:
    # Patterns: a surface showing one button several times numbers the copies (`id~2`).
    app.action(action_pattern(ids.VIEW_ORDER))(ack=view_order_ack, lazy=[view_order_run])
    app.action(action_pattern(ids.CANCEL_START))(ack=cancel_start_ack, lazy=[cancel_start_run])
    app.action(action_pattern(ids.CANCEL_CONFIRM))(
        ack=cancel_confirm_ack, lazy=[cancel_confirm_run]
    )
    app.action(action_pattern(ids.RETRY_PLACEMENT))(
        ack=retry_placement_ack, lazy=[retry_placement_run]
    )
    app.action(action_pattern(ids.RESTOCK))(ack=restock_ack, lazy=[restock_run])
    app.action(action_pattern(ids.MAP_SKU_START))(map_sku_start)
    app.action(action_pattern(ids.PAGE))(ack=page_ack, lazy=[page_run])
    app.action(action_pattern(ids.FETCH_NOW))(ack=fetch_now_ack, lazy=[fetch_now_run])
    app.action(action_pattern(ids.MARK_HANDLED))(ack=mark_handled_ack, lazy=[mark_handled_run])
    app.action(action_pattern(ids.VIEW_ALL_NEW))(ack=view_all_new_ack, lazy=[view_all_new_run])
