"""Order sections (SPEC §2): slugs, display names and how a TikTok order lands in one."""

from datetime import datetime, timedelta
from enum import StrEnum

from storage.states import FailureReason


class Section(StrEnum):
    ON_HOLD = "on-hold"
    AWAITING_SHIPMENT = "awaiting-shipment"
    AWAITING_COLLECTION = "awaiting-collection"
    IN_TRANSIT = "in-transit"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def title(self) -> str:
        return _TITLES[self]


_TITLES = {
    Section.ON_HOLD: "On Hold",
    Section.AWAITING_SHIPMENT: "Awaiting Shipment",
    Section.AWAITING_COLLECTION: "Awaiting Collection",
    Section.IN_TRANSIT: "In Transit",
    Section.DELIVERED: "Delivered",
    Section.COMPLETED: "Completed",
    Section.CANCELLED: "Cancelled",
    Section.FAILED: "Failed",
}

ALL = "all"

_SHORT_FORMS = {
    "hold": Section.ON_HOLD,
    "onhold": Section.ON_HOLD,
    "unpaid": Section.ON_HOLD,
    "shipping": Section.AWAITING_SHIPMENT,
    "ship": Section.AWAITING_SHIPMENT,
    "to-ship": Section.AWAITING_SHIPMENT,
    "awaiting": Section.AWAITING_SHIPMENT,
    "collection": Section.AWAITING_COLLECTION,
    "pickup": Section.AWAITING_COLLECTION,
    "transit": Section.IN_TRANSIT,
    "shipped": Section.IN_TRANSIT,
    "complete": Section.COMPLETED,
    "done": Section.COMPLETED,
    "canceled": Section.CANCELLED,
    "cancel": Section.CANCELLED,
    "fail": Section.FAILED,
    "errors": Section.FAILED,
}


def parse_slug(text: str) -> Section | str | None:
    """A section, the string `all`, or None for an unknown slug."""
    slug = "-".join(text.strip().lower().replace("_", " ").replace("-", " ").split())
    if slug == ALL:
        return ALL
    try:
        return Section(slug)
    except ValueError:
        return _SHORT_FORMS.get(slug) or _SHORT_FORMS.get(slug.replace("-", ""))


VALID_SLUGS = [ALL, *(section.value for section in Section)]

# TikTok order statuses (202309).
UNPAID = "UNPAID"
ON_HOLD = "ON_HOLD"
AWAITING_SHIPMENT = "AWAITING_SHIPMENT"
PARTIALLY_SHIPPING = "PARTIALLY_SHIPPING"
AWAITING_COLLECTION = "AWAITING_COLLECTION"
IN_TRANSIT = "IN_TRANSIT"
DELIVERED = "DELIVERED"
COMPLETED = "COMPLETED"
CANCELLED = "CANCELLED"

NOT_YET_SHIPPABLE = {UNPAID, ON_HOLD}
# Units of these orders have left (or are about to leave) the seller's shelf: place them.
PLACEABLE = {
    AWAITING_SHIPMENT,
    PARTIALLY_SHIPPING,
    AWAITING_COLLECTION,
    IN_TRANSIT,
    DELIVERED,
    COMPLETED,
}

AUTO_COMPLETE_AFTER = timedelta(days=14)

# Search Cancellations reason keys (TikTok reference §12.3) that mean delivery failed.
DELIVERY_FAILURE_REASONS = {
    "returned_to_shipper_refused": FailureReason.RETURNED_TO_SENDER,
    "returned_to_shipper_other": FailureReason.DELIVERY_FAILED,
    "package_lost": FailureReason.PACKAGE_LOST,
    "package_damaged": FailureReason.PACKAGE_DAMAGED,
    "package_scrap": FailureReason.PACKAGE_DAMAGED,
    "threepl_breach": FailureReason.DELIVERY_FAILED,
    "system_cancel_order_exceed_edt_not_arrive": FailureReason.DELIVERY_FAILED,
}

PLACEMENT_FAILURES = (
    FailureReason.SKU_UNMATCHED,
    FailureReason.SKU_AMBIGUOUS,
    FailureReason.INSUFFICIENT_STOCK,
    FailureReason.ETSY_ERROR,
)
DELIVERY_FAILURES = (
    FailureReason.DELIVERY_FAILED,
    FailureReason.RETURNED_TO_SENDER,
    FailureReason.PACKAGE_LOST,
    FailureReason.PACKAGE_DAMAGED,
)


def delivery_failure(reason_key: str | None) -> FailureReason | None:
    return DELIVERY_FAILURE_REASONS.get(reason_key or "")


def is_auto_completed(
    delivered_at: datetime | None, now: datetime, *, return_requested: bool
) -> bool:
    """Delivered 14 days or more ago with no return or refund request (SPEC §2)."""
    return (
        delivered_at is not None
        and not return_requested
        and now - delivered_at >= AUTO_COMPLETE_AFTER
    )


def classify(
    status: str,
    *,
    failure_reason: str | None,
    delivered_at: datetime | None,
    now: datetime,
    return_requested: bool = False,
) -> Section:
    """The one section an order belongs in.

    `failure_reason` is a placement failure or a delivery failure; either puts the order in
    Failed, except that a placement failure of an order cancelled later is simply Cancelled
    (nothing was reserved, nothing is owed).
    """
    if status == CANCELLED:
        if failure_reason in DELIVERY_FAILURES:
            return Section.FAILED
        return Section.CANCELLED
    if failure_reason:
        return Section.FAILED
    if status in NOT_YET_SHIPPABLE:
        return Section.ON_HOLD
    if status == AWAITING_SHIPMENT:
        return Section.AWAITING_SHIPMENT
    if status == AWAITING_COLLECTION:
        return Section.AWAITING_COLLECTION
    if status in (IN_TRANSIT, PARTIALLY_SHIPPING):
        return Section.IN_TRANSIT
    if status == DELIVERED:
        if is_auto_completed(delivered_at, now, return_requested=return_requested):
            return Section.COMPLETED
        return Section.DELIVERED
    if status == COMPLETED:
        return Section.COMPLETED
    # An unknown future status: keep it visible rather than drop it.
    return Section.ON_HOLD
