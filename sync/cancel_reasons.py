"""Seller cancel reasons, US market (TikTok reference §12.3), and reading them from free text.

TikTok refuses a reason that does not match the order's current status (25001021), and the same
meaning has a different key per status: "out of stock" is one reason on UNPAID orders and
another once paid. So text is read to a label (the meaning), then the label is looked up for the
order's status.
"""

import re
from dataclasses import dataclass

from sync.sections import AWAITING_SHIPMENT, ON_HOLD, UNPAID


@dataclass(frozen=True)
class CancelReason:
    key: str  # what Cancel Order takes as `cancel_reason`
    label: str
    statuses: frozenset[str]


_UNPAID = frozenset({UNPAID})
_PAID = frozenset({ON_HOLD, AWAITING_SHIPMENT})

OUT_OF_STOCK = "Out of stock"
PRICING_ERROR = "Pricing error"
NOT_PAID = "Buyer did not pay on time"
BUYER_REQUESTED = "Buyer requested cancellation"
ADDRESS = "Unable to deliver to buyer address"

REASONS: tuple[CancelReason, ...] = (
    CancelReason("seller_cancel_unpaid_reason_out_of_stock", OUT_OF_STOCK, _UNPAID),
    CancelReason("seller_cancel_unpaid_reason_wrong_price", PRICING_ERROR, _UNPAID),
    CancelReason(
        "seller_cancel_unpaid_reason_buyer_hasnt_paid_within_time_allowed", NOT_PAID, _UNPAID
    ),
    CancelReason(
        "seller_cancel_unpaid_reason_buyer_requested_cancellation", BUYER_REQUESTED, _UNPAID
    ),
    CancelReason("seller_cancel_reason_out_of_stock", OUT_OF_STOCK, _PAID),
    CancelReason("seller_cancel_reason_wrong_price", PRICING_ERROR, _PAID),
    CancelReason("seller_cancel_paid_reason_address_not_deliver", ADDRESS, _PAID),
    CancelReason("seller_cancel_paid_reason_buyer_requested_cancellation", BUYER_REQUESTED, _PAID),
)

# Whole words or phrases that name a reason; text naming two different reasons resolves to none.
_PHRASES = {
    OUT_OF_STOCK: ("stock", "oos", "sold out"),
    PRICING_ERROR: ("price", "pricing", "mispriced"),
    NOT_PAID: ("pay", "paid", "payment", "unpaid"),
    BUYER_REQUESTED: ("buyer asked", "buyer requested", "customer asked", "customer requested"),
    ADDRESS: ("address", "deliver", "delivery", "undeliverable"),
}


def reasons_for(status: str) -> list[CancelReason]:
    return [reason for reason in REASONS if status.upper() in reason.statuses]


def resolve(text: str, status: str) -> CancelReason | None:
    """The reason for this order's status that `text` (free words, a label or a key) means.

    A key valid only for another status resolves to its twin for this one (same label).
    """
    label = _label(text)
    return next((r for r in reasons_for(status) if r.label == label), None)


def _label(text: str) -> str | None:
    wanted = text.strip().lower()
    for reason in REASONS:
        if wanted in (reason.key, reason.label.lower()):
            return reason.label
    words = " " + " ".join(re.findall(r"[a-z']+", wanted.replace("’", "'"))) + " "
    labels = {
        label
        for label, phrases in _PHRASES.items()
        if any(f" {phrase} " in words for phrase in phrases)
    }
    return labels.pop() if len(labels) == 1 else None
