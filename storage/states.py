"""The states stored rows move through, named once.

StrEnums, so a member compares equal to the text stored in its column and the schema needs no
change; code writes `Placement.PLACED`, never `"placed"`.
"""

from enum import StrEnum


class Placement(StrEnum):
    """Where an order stands with Etsy (`orders.placement`)."""

    WAITING = "waiting"  # unpaid or on hold: not placeable yet
    PENDING = "pending"  # placeable, not yet tried
    PLACING = "placing"  # its stock intents are written; Etsy writes under way
    PLACED = "placed"  # its units are reserved on Etsy
    FAILED = "failed"  # could not be placed (or its delivery failed); the reason is kept
    SKIPPED = "skipped"  # fulfilled by TikTok, or cancelled before it could be placed
    RESTORED = "restored"  # its reserved units were given back
    RESTOCK = "restock"  # someone asked for the units of a failed delivery back


class ReservationState(StrEnum):
    """Units of one order line on one Etsy listing (`reservations.state`)."""

    PLANNED = "planned"  # journalled, the Etsy write not yet confirmed
    RESERVED = "reserved"  # taken off the listing's quantity
    HELD = "held"  # kept from sale by deactivating the listing (Etsy refused zero stock)
    RESTORING = "restoring"  # a restore intent is under way
    RESTORED = "restored"  # given back
    ABANDONED = "abandoned"  # the reserving write failed: nothing was taken
    RESTORE_FAILED = "restore_failed"  # could not be given back automatically


# Reservations whose units are still off the shelf for their order.
STILL_HELD = (ReservationState.RESERVED, ReservationState.HELD)


class FailureReason(StrEnum):
    """Why an order is in Failed (`orders.failure_reason`)."""

    # Its placement on Etsy failed: a retry (or a SKU mapping) may place it.
    SKU_UNMATCHED = "sku_unmatched"
    SKU_AMBIGUOUS = "sku_ambiguous"
    INSUFFICIENT_STOCK = "insufficient_stock"
    ETSY_ERROR = "etsy_error"
    # Its delivery failed (TikTok's cancellation reason key says so): a restock gives it back.
    DELIVERY_FAILED = "delivery_failed"
    RETURNED_TO_SENDER = "returned_to_sender"
    PACKAGE_LOST = "package_lost"
    PACKAGE_DAMAGED = "package_damaged"


class IntentKind(StrEnum):
    RESERVE = "reserve"
    RESTORE = "restore"


class IntentState(StrEnum):
    """A journalled Etsy inventory write (`stock_intents.state`)."""

    PENDING = "pending"  # written before the Etsy call; open until finished or reconciled
    DONE = "done"
    FAILED = "failed"


class EventKind(StrEnum):
    """What an order's history entry records (`order_events.kind`)."""

    CREATED = "created"
    STATUS = "status"
    PLACED = "placed"
    PLACEMENT_FAILED = "placement_failed"
    RETRY = "retry"
    CANCEL_REQUESTED = "cancel_requested"
    CANCELLED = "cancelled"
    CANCEL_REFUSED = "cancel_refused"
    CANCEL_FAILED = "cancel_failed"
    DELIVERY_FAILED = "delivery_failed"
    RESTOCK = "restock"
    RESTORED = "restored"
    RESTORE_FAILED = "restore_failed"
    AUTO_COMPLETED = "auto_completed"
    ALERT_HANDLED = "alert_handled"
    # Returns, refunds and buyer cancellation requests (SPEC §4.2).
    REQUEST = "request"  # a request opened or moved on TikTok
    REQUEST_ANSWERED = "request_answered"
    REQUEST_RESTOCK = "request_restock"
    # Shipping (SPEC §4.1).
    SHIPPED = "shipped"
    TRACKING_CORRECTED = "tracking_corrected"
    SHIP_REFUSED = "ship_refused"
    SHIP_FAILED = "ship_failed"


class Actor(StrEnum):
    """Who did something, when it was not a Slack user (`order_events.actor`)."""

    SYSTEM = "orderbot"
    TIKTOK = "tiktok"
    CLI = "cli"


class AlertKind(StrEnum):
    NEW_ORDER = "new_order"
    NEW_ORDERS = "new_orders"  # one summary standing for many new orders
    PLACEMENT_FAILURES = "placement_failures"  # one alert for orders failed on one problem
    PLACEMENT_FAILED = "placement_failed"
    DELIVERY_FAILED = "delivery_failed"
    ORDER_CANCELLED = "order_cancelled"
    DIGEST = "digest"
    STOCK_PUSH_FAILED = "stock_push_failed"  # TikTok did not take a stock push (§3.2)
    STOCK_UNMATCHED = "stock_unmatched"  # a TikTok SKU whose Etsy stock cannot be told
    # Returns, refunds and buyer cancellation requests (SPEC §4.2), keyed by the request id.
    REQUEST = "request"
    REQUEST_REMINDER = "request_reminder"  # its deadline is near: a message of its own
    SHIP_DEADLINE = "ship_deadline"  # an order still to ship, its ship-by time near (§4.1)


class AlertState(StrEnum):
    """`alerts.state`: claimed before posting, so nothing is posted twice."""

    # Claimed; the post is under way. One left `posting` past a grace period was cut short
    # (a crash between claim and record): the outbox looks for it in the channel, then posts.
    POSTING = "posting"
    PENDING = "pending"  # claimed, the post was refused: tried again after a pause
    POSTED = "posted"
    HANDLED = "handled"
    BATCHED = "batched"  # an order shown by a summary or a failure group (its `batch_key`)


# --- stock push (SPEC §3.2) ------------------------------------------------------------------


class PushState(StrEnum):
    """A stock push to TikTok, recorded before the call and finished after it."""

    PENDING = "pending"  # recorded; the Update Inventory call under way
    DONE = "done"  # TikTok set the SKU to the quantity
    FAILED = "failed"  # TikTok refused it (the call, or this SKU in its errors), or was down
    UNKNOWN = "unknown"  # cut short (a crash): the next cycle pushes Etsy's quantity again


# --- returns, refunds and buyer cancellation requests (SPEC §4.2) ---------------------------


class RequestKind(StrEnum):
    """What a buyer asks for (`after_sales_requests.kind`)."""

    REFUND = "refund"
    RETURN_AND_REFUND = "return_and_refund"
    REPLACEMENT = "replacement"
    CANCELLATION = "cancellation"


class ReturnMark(StrEnum):
    """What the order's requests say next to its section (`orders.return_state`)."""

    REQUESTED = "return_requested"  # a return or refund request is open
    REFUNDED = "refunded"  # one closed with a refund


# --- shipping (SPEC §4.1) ---------------------------------------------------------------------


class ShipmentKind(StrEnum):
    SHIP = "ship"  # Mark Package As Shipped
    CORRECT = "correct"  # Update Shipping Info: the one correction


class ShipmentState(StrEnum):
    """`shipments.state`: claimed before TikTok's call, finished after it."""

    PENDING = "pending"  # claimed; the call is under way (or its answer was lost)
    DONE = "done"
