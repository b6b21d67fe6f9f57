from slack_bolt import App

from bot.listeners.actions.cancel_confirm import cancel_confirm_run
from bot.listeners.actions.cancel_start import cancel_start_run
from bot.listeners.actions.due_page import due_page_run
from bot.listeners.actions.fetch_now import fetch_now_run
from bot.listeners.actions.map_sku_start import map_sku_start_run
from bot.listeners.actions.mappings_page import mappings_page_run
from bot.listeners.actions.mark_handled import mark_handled_run
from bot.listeners.actions.order_menu import order_menu_run
from bot.listeners.actions.page import page_run
from bot.listeners.actions.restock import restock_run
from bot.listeners.actions.retry_all import retry_all_run
from bot.listeners.actions.retry_placement import retry_placement_run
from bot.listeners.actions.return_approve import return_approve_run
from bot.listeners.actions.return_reject_start import return_reject_start_run
from bot.listeners.actions.return_restock import return_restock_run
from bot.listeners.actions.returns_page import returns_page_run
from bot.listeners.actions.ship_start import ship_start_run
from bot.listeners.actions.view_all_failed import view_all_failed_run
from bot.listeners.actions.view_all_new import view_all_new_run
from bot.listeners.actions.view_order import view_order_run
from bot.listeners.run import ack_click
from bot.render import action_pattern
from commands import actions as ids


def register(app: App) -> None:
    # Every button acks alike (a non-admin refused there); each lazy half is its own file.
    # Patterns: a surface showing one button several times numbers the copies (`id~2`).
    for action_id, run in (
        (ids.VIEW_ORDER, view_order_run),
        (ids.CANCEL_START, cancel_start_run),
        (ids.CANCEL_CONFIRM, cancel_confirm_run),
        (ids.RETRY_PLACEMENT, retry_placement_run),
        (ids.RESTOCK, restock_run),
        (ids.MAP_SKU_START, map_sku_start_run),
        (ids.PAGE, page_run),
        (ids.MAPPINGS_PAGE, mappings_page_run),
        (ids.FETCH_NOW, fetch_now_run),
        (ids.MARK_HANDLED, mark_handled_run),
        (ids.VIEW_ALL_NEW, view_all_new_run),
        (ids.RETRY_ALL, retry_all_run),
        (ids.VIEW_ALL_FAILED, view_all_failed_run),
        (ids.ROW_MENU, order_menu_run),
        (ids.RETURN_APPROVE, return_approve_run),
        (ids.RETURN_REJECT_START, return_reject_start_run),
        (ids.RETURN_RESTOCK, return_restock_run),
        (ids.RETURNS_PAGE, returns_page_run),
        (ids.SHIP_START, ship_start_run),
        (ids.DUE_PAGE, due_page_run),
    ):
        app.action(action_pattern(action_id))(ack=ack_click, lazy=[run])
