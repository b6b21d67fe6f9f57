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
RETRY_ALL = "alerts_retry_all"  # value: a failure group's alert key
VIEW_ALL_FAILED = "alerts_view_all_failed"  # value: a failure group's alert key
FETCH_NOW = "fetch_now"
MAPPINGS_PAGE = "sku_mappings_page"  # value: the page number

CANCEL_FORM = "order_cancel_form"
MAP_SKU_FORM = "sku_map_form"
# The Map form's Etsy SKU field: a search (Slack's external select) the app answers.
ETSY_SKU_FIELD = "etsy_sku"

# A grid row's overflow menu: each option's value is "<action_id>|<value>" of the button it
# stands for (`menu_value`), so one listener serves every row and every choice.
ROW_MENU = "order_menu"


def menu_value(action_id: str, value: str) -> str:
    return f"{action_id}|{value}"


# Returns, refunds and buyer cancellation requests (SPEC §4.2); values: the request id.
RETURN_APPROVE = "return_approve"
RETURN_REJECT_START = "return_reject_start"  # opens the reason form
RETURN_RESTOCK = "return_restock"
RETURNS_PAGE = "returns_page"  # value: the page number
RETURN_REJECT_FORM = "return_reject_form"  # private_metadata: the request id


# Shipping (SPEC §4.1): Ship… opens the form (value: the order id).
SHIP_START = "order_ship_start"
SHIP_FORM = "order_ship_form"
SHIP_CARRIER_FIELD = "carrier"
SHIP_TRACKING_FIELD = "tracking_number"
SHIP_ITEMS_FIELD = "line_items"  # some line items only: a split shipment
DUE_PAGE = "due_page"  # value: the page number
