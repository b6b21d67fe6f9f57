"""Stored codes as a seller reads them: reasons, TikTok statuses, who did it, history entries.

The one mapping from what storage keeps (reason codes, event kinds and their details, actors) to
words, used by every reply, Slack and terminal alike. Stored data never changes for it; a code
with no words here is shown tidied up rather than hidden.
"""

import re
from collections.abc import Callable

from storage.models import OrderEvent
from storage.states import Actor, EventKind, FailureReason, RequestKind, ReturnMark
from sync import cancel_reasons

REASONS = {
    FailureReason.SKU_UNMATCHED: "SKU not on Etsy",
    FailureReason.SKU_AMBIGUOUS: "SKU on several Etsy listings",
    FailureReason.INSUFFICIENT_STOCK: "Not enough stock on Etsy",
    FailureReason.ETSY_ERROR: "Etsy refused the update",
    FailureReason.DELIVERY_FAILED: "Delivery failed",
    FailureReason.RETURNED_TO_SENDER: "Returned to sender",
    FailureReason.PACKAGE_LOST: "Package lost",
    FailureReason.PACKAGE_DAMAGED: "Package damaged",
}

ACTORS = {
    Actor.CLI: "orderbot operator",
    Actor.SYSTEM: "orderbot",
    Actor.TIKTOK: "TikTok",
}

_CANCEL_LABELS = {reason.key: reason.label for reason in cancel_reasons.REASONS}
_CODE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")  # snake_case, as codes are stored


def plural(n: int, word: str, words: str | None = None) -> str:
    """`1 page`, `2 pages`, `0 orders`."""
    return f"{n:,} {word if n == 1 else words or word + 's'}"


def reason(code: str | None) -> str:
    """A failure reason code in words ("" for none)."""
    if not code:
        return ""
    return REASONS.get(code) or _tidy(code)


def tiktok_status(status: str) -> str:
    """`AWAITING_SHIPMENT` → `Awaiting Shipment`."""
    return status.replace("_", " ").title()


def cancel_reason(key: str | None) -> str:
    """A seller cancel reason key in words (its label), or the key tidied up."""
    if not key:
        return ""
    return _CANCEL_LABELS.get(key) or _tidy(key)


def actor(who: str) -> str:
    """Who did something: a Slack user id stays one (renderers mention it), the rest in words."""
    return ACTORS.get(who, who)


def not_found(order_id: str) -> str:
    return f"No order {order_id} is known. Run /orders fetch to bring in new TikTok orders."


def event(entry: OrderEvent) -> str:
    """A history entry as a sentence."""
    sentence = _SENTENCES.get(entry.kind)
    detail = entry.detail or ""
    if sentence is None:
        text = _tidy(entry.kind)
        return f"{text}: {detail}" if detail else text
    return sentence(detail)


def _tidy(code: str) -> str:
    text = code.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _created(detail: str) -> str:
    # "AWAITING_SHIPMENT, 2 item(s)"
    status, _, items = detail.partition(", ")
    n = re.match(r"(\d+) item", items)
    count = f", {plural(int(n.group(1)), 'item')}" if n else ""
    return f"Created ({tiktok_status(status)}){count}" if status else "Created"


def _status(detail: str) -> str:
    # "AWAITING_SHIPMENT → CANCELLED"
    parts = [tiktok_status(part.strip()) for part in detail.split("→")]
    return "Status changed: " + " → ".join(parts)


def _after_prefix(prefix: str, words: str) -> Callable[[str], str]:
    def sentence(detail: str) -> str:
        rest = detail.removeprefix(prefix).strip()
        return f"{words}: {rest}" if rest else words

    return sentence


def _placement_failed(detail: str) -> str:
    # "sku_unmatched: no Etsy listing has SKU TT-GHOST-1"
    code, _, why = detail.partition(": ")
    if not _CODE.match(code):
        return f"Could not be placed: {detail}".rstrip(": ")
    return f"Could not be placed: {reason(code)}" + (f" ({why})" if why else "")


def _cancel_requested(detail: str) -> str:
    return (
        f"Asked TikTok to cancel: {cancel_reason(detail)}" if detail else "Asked TikTok to cancel"
    )


def _cancelled(detail: str) -> str:
    # "<reason_key> (TikTok: CANCELLATION_REQUEST_SUCCESS, id 403…)" or "(TikTok's answer was
    # lost; the order shows cancelled)"
    key, _, outcome = detail.partition(" (")
    outcome = outcome.removesuffix(")")
    text = f"Cancelled by you: {cancel_reason(key)}" if key else "Cancelled by you"
    if outcome.startswith("TikTok: "):
        status = outcome.removeprefix("TikTok: ").split(",")[0]
        if "SUCCESS" in status or "COMPLETE" in status:
            return f"{text} (TikTok confirmed)"
        return f"{text} (TikTok: {tiktok_status(status).lower()})"
    return f"{text} ({outcome})" if outcome else text


def _delivery_failed(detail: str) -> str:
    # "returned_to_sender (returned_to_shipper_refused); stock is not given back …"
    code = detail.split(" ", 1)[0].split(";")[0]
    if not _CODE.match(code):
        return f"Delivery failed: {detail}"
    return (
        f"Delivery failed — {reason(code)}. The stock waits for a restock when the parcel is back"
    )


_SENTENCES = {
    EventKind.CREATED: _created,
    EventKind.STATUS: _status,
    EventKind.PLACED: _after_prefix("reserved on Etsy:", "Reserved on Etsy"),
    EventKind.PLACEMENT_FAILED: _placement_failed,
    EventKind.RETRY: lambda _detail: "Placement retried",
    EventKind.CANCEL_REQUESTED: _cancel_requested,
    EventKind.CANCELLED: _cancelled,
    EventKind.CANCEL_REFUSED: _after_prefix("", "TikTok refused to cancel"),
    EventKind.CANCEL_FAILED: _after_prefix("", "The cancel did not go through"),
    EventKind.DELIVERY_FAILED: _delivery_failed,
    EventKind.RESTOCK: lambda _detail: "Restock asked",
    EventKind.RESTORED: _after_prefix("gave back on Etsy:", "Stock given back"),
    EventKind.RESTORE_FAILED: lambda detail: _sentence(detail) or "Stock not given back",
    EventKind.AUTO_COMPLETED: _after_prefix("", "Completed automatically"),
    EventKind.ALERT_HANDLED: lambda detail: (
        "Alert marked handled" + (f" ({detail})" if detail else "")
    ),
}


# --- returns, refunds and buyer cancellation requests (SPEC §4.2) ---------------------------

REQUEST_KINDS = {
    RequestKind.REFUND: "Refund",
    RequestKind.RETURN_AND_REFUND: "Return and refund",
    RequestKind.REPLACEMENT: "Replacement",
    RequestKind.CANCELLATION: "Buyer cancellation",
}
RETURN_MARKS = {ReturnMark.REQUESTED: "Return requested", ReturnMark.REFUNDED: "Refunded"}
REQUEST_STATUSES = {
    "RETURN_OR_REFUND_REQUEST_PENDING": "waiting for your answer",
    "REFUND_OR_RETURN_REQUEST_REJECT": "rejected",
    "AWAITING_BUYER_SHIP": "approved, waiting for the buyer to send it back",
    "BUYER_SHIPPED_ITEM": "on its way back to you",
    "REJECT_RECEIVE_PACKAGE": "returned parcel rejected",
    "RETURN_OR_REFUND_REQUEST_SUCCESS": "approved, refund under way",
    "RETURN_OR_REFUND_REQUEST_CANCEL": "withdrawn or closed",
    "RETURN_OR_REFUND_REQUEST_COMPLETE": "refunded",
    "REPLACEMENT_REQUEST_PENDING": "waiting for your answer",
    "REPLACEMENT_REQUEST_REJECT": "rejected",
    "REPLACEMENT_REQUEST_REFUND_SUCCESS": "refunded instead of replaced",
    "REPLACEMENT_REQUEST_CANCEL": "withdrawn or closed",
    "REPLACEMENT_REQUEST_COMPLETE": "replacement approved",
    "AWAITING_BUYER_RESPONSE": "waiting for the buyer's answer to your offer",
    "CANCELLATION_REQUEST_PENDING": "waiting for your answer",
    "CANCELLATION_REQUEST_SUCCESS": "accepted: the order is cancelled",
    "CANCELLATION_REQUEST_CANCEL": "withdrawn or closed",
    "CANCELLATION_REQUEST_CANCELLED": "withdrawn or closed",
    "CANCELLATION_REQUEST_COMPLETE": "accepted: the order is cancelled and refunded",
}
PARCEL_BACK = "SELLER_RESPOND_RECEIVE_PACKAGE"


def request_kind(kind: str) -> str:
    return REQUEST_KINDS.get(kind) or _tidy(kind)


def request_status(status: str, seller_action: str | None = None) -> str:
    """Where a request stands, in words."""
    if seller_action == PARCEL_BACK:
        return "parcel back with you: check it and answer"
    return REQUEST_STATUSES.get(status) or tiktok_status(status).lower()


def return_mark(mark: str | None) -> str:
    """What the order's requests say next to its section ("" for nothing)."""
    return RETURN_MARKS.get(mark, "") if mark else ""


def _request(detail: str) -> str:
    # "refund 4035…: RETURN_OR_REFUND_REQUEST_PENDING (parcel received)"
    head, _, status = detail.partition(": ")
    kind, _, request_id = head.partition(" ")
    received = status.endswith(" (parcel received)")
    status = status.removesuffix(" (parcel received)")
    text = f"{request_kind(kind)} request {request_id}: {request_status(status)}"
    return text + (" — the parcel is back with you" if received else "")


def _request_answered(detail: str) -> str:
    # "refund 4035…: approved (APPROVE_REFUND)" or "…: rejected: <text> — refused: <why>"
    head, _, answer = detail.partition(": ")
    kind, _, request_id = head.partition(" ")
    answer = re.sub(r" \([A-Z_]+\)", "", answer)
    return f"{request_kind(kind)} request {request_id} {answer}"


_SENTENCES.update(
    {
        EventKind.REQUEST: _request,
        EventKind.REQUEST_ANSWERED: _request_answered,
        EventKind.REQUEST_RESTOCK: lambda detail: f"Restock asked for return {detail}",
    }
)


# --- shipping (SPEC §4.1) ---------------------------------------------------------------------
# Details as `sync.engine.shipping` records them: "USPS, tracking 9400…[, 2 item(s)][ (TikTok:
# warning)]", or "<carrier> <tracking>: why" for a ship that did not go through.

_SENTENCES.update(
    {
        EventKind.SHIPPED: lambda detail: f"Shipped with {detail}" if detail else "Shipped",
        EventKind.TRACKING_CORRECTED: lambda detail: (
            f"Tracking corrected: {detail}" if detail else "Tracking corrected"
        ),
        EventKind.SHIP_REFUSED: _after_prefix("", "TikTok refused the shipment"),
        EventKind.SHIP_FAILED: _after_prefix("", "The shipment did not go through"),
    }
)
