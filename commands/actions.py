"""Action and view ids, shared by the replies that carry them and the listeners bound to them."""

VIEW_ORDER = "order_view"
CANCEL_START = "order_cancel_start"  # opens the reason form
CANCEL_CONFIRM = "order_cancel_confirm"  # value: "<order_id>|<reason_key>"
RETRY_PLACEMENT = "order_retry_placement"
MAP_SKU_START = "sku_map_start"  # opens the mapping form
RESTOCK = "order_restock"
MARK_HANDLED = "alert_mark_handled"
PAGE = "status_page"  # value: "<slug>|<page>"
VIEW_ALL_NEW = "alerts_view_all_new"
FETCH_NOW = "fetch_now"

CANCEL_FORM = "order_cancel_form"
MAP_SKU_FORM = "sku_map_form"

# A grid row's overflow menu: each option's value is "<action_id>|<value>" of the button it
# stands for (`menu_value`), so one listener serves every row and every choice.
ROW_MENU = "order_menu"


def menu_value(action_id: str, value: str) -> str:
    return f"{action_id}|{value}"
