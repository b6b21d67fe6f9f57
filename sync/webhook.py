"""TikTok Shop push notifications (TikTok reference §14), as pure functions: no I/O here.

The signature is lowercase hex HMAC-SHA256 with the app secret as key over the app key followed
by the raw request body (§14.5), sent in the `Authorization` header without a scheme. It carries
no timestamp, so it proves who sent a push, never when: a push is a signal to re-read the order,
never state to store (pushes come late, twice or out of order, and type 1 says `CANCEL` where the
API says `CANCELLED`).
"""

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

ORDER_STATUS_CHANGE = 1
CANCELLATION_STATUS_CHANGE = 11
RETURN_STATUS_CHANGE = 12
# The pushes that make orderbot re-read an order (and its return and cancellation requests).
REFRESHING_TYPES = frozenset(
    {ORDER_STATUS_CHANGE, CANCELLATION_STATUS_CHANGE, RETURN_STATUS_CHANGE}
)

# Type 1 `order_status` values (§14.4) → the Order API's spelling.
WEBHOOK_STATUS = {"CANCEL": "CANCELLED"}


class BadPush(ValueError):
    """A body that is not a TikTok push envelope; the message says what is wrong."""


@dataclass(frozen=True)
class Push:
    type: int
    shop_id: str
    timestamp: int | None
    notification_id: str | None
    order_id: str | None  # types 1, 3, 11, 12 name one order
    data: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def refreshes_order(self) -> bool:
        return self.type in REFRESHING_TYPES and bool(self.order_id)

    @property
    def order_status(self) -> str | None:
        """Type 1's status in the Order API's spelling (`CANCEL` → `CANCELLED`); a hint only."""
        status = self.data.get("order_status") if self.type == ORDER_STATUS_CHANGE else None
        if not isinstance(status, str):
            return None
        return WEBHOOK_STATUS.get(status, status)


def sign(app_key: str, app_secret: str, body: bytes) -> str:
    message = app_key.encode("utf-8") + body
    return hmac.new(app_secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify(app_key: str, app_secret: str, body: bytes, authorization: str | None) -> bool:
    """True when `authorization` is the signature of these exact bytes (constant-time)."""
    if not authorization or not app_key or not app_secret:
        return False
    given = authorization.strip().lower().encode("ascii", "replace")
    expected = sign(app_key, app_secret, body).encode("ascii")
    return hmac.compare_digest(expected, given)


def parse(body: bytes) -> Push:
    """The envelope (§14.3) of a verified body. Raises BadPush for anything else."""
    try:
        envelope = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadPush("the body is not JSON") from exc
    if not isinstance(envelope, dict):
        raise BadPush("the body is not a JSON object")
    kind = envelope.get("type")
    if isinstance(kind, bool) or not isinstance(kind, int):
        raise BadPush("`type` is missing or not an integer")
    shop_id = envelope.get("shop_id")
    if shop_id is None or isinstance(shop_id, bool | dict | list):
        raise BadPush("`shop_id` is missing")
    data = envelope.get("data")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise BadPush("`data` is not an object")
    order_id = data.get("order_id")
    timestamp = envelope.get("timestamp")
    notification = envelope.get("tts_notification_id")
    return Push(
        type=kind,
        shop_id=str(shop_id),
        timestamp=timestamp
        if isinstance(timestamp, int) and not isinstance(timestamp, bool)
        else None,
        notification_id=str(notification) if notification is not None else None,
        order_id=str(order_id) if isinstance(order_id, str | int) and str(order_id) else None,
        data=data,
    )
