"""Push notifications (§14): shop webhook addresses, type 1, 11 and 12 bodies, a signed pusher.

Pushes leave from one background thread, in the order they were made, so an API handler never
waits on a receiver. A push counts as received on HTTP 200 or 401 (the configuration guide's two
accepted replies); anything else is retried after each of `retry_delays_s` (TikTok waits 2 min,
30 min, 3 h, 12 h; the sandbox waits fractions of a second), then dropped. Every attempt is kept
in `deliveries`.
"""

import heapq
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from .signing import webhook_sign

ORDER_STATUS_CHANGE = "ORDER_STATUS_CHANGE"
CANCELLATION_STATUS_CHANGE = "CANCELLATION_STATUS_CHANGE"
RETURN_STATUS_CHANGE = "RETURN_STATUS_CHANGE"
EVENT_TYPES = frozenset(
    {
        ORDER_STATUS_CHANGE,
        CANCELLATION_STATUS_CHANGE,
        RETURN_STATUS_CHANGE,
        "RECIPIENT_ADDRESS_UPDATE",
        "PACKAGE_UPDATE",
        "PRODUCT_STATUS_CHANGE",
        "SELLER_DEAUTHORIZATION",
        "UPCOMING_AUTHORIZATION_EXPIRATION",
        "PRODUCT_INFORMATION_CHANGE",
        "PRODUCT_CREATION",
    }
)
ACCEPTED = frozenset({200, 401})


def order_status_body(order, shop_id: str, notification_id: str, now: int) -> dict:
    """Type 1. The webhook says CANCEL where the API says CANCELLED (§14.4)."""
    status = "CANCEL" if order.status == "CANCELLED" else order.status
    return {
        "type": 1,
        "tts_notification_id": notification_id,
        "shop_id": shop_id,
        "timestamp": now,
        "data": {
            "order_id": order.id,
            "order_status": status,
            "is_on_hold_order": True,
            "update_time": order.update_time,
        },
    }


def cancellation_body(record, shop_id: str, notification_id: str, now: int) -> dict:
    """Type 11."""
    return {
        "type": 11,
        "tts_notification_id": notification_id,
        "shop_id": shop_id,
        "timestamp": now,
        "data": {
            "order_id": record.order_id,
            "cancellations_role": record.role,
            "cancel_status": record.status,
            "cancel_id": record.cancel_id,
            "create_time": record.create_time,
        },
    }


def return_body(subject, shop_id: str, notification_id: str, now: int) -> dict:
    """Type 12, on every `return_status` change; `return_role` is who made it (§17.7)."""
    record, role = subject
    return {
        "type": 12,
        "tts_notification_id": notification_id,
        "shop_id": shop_id,
        "timestamp": now,
        "data": {
            "order_id": record.order_id,
            "return_role": role,
            "return_type": record.return_type,
            "return_status": record.status,
            "return_id": record.return_id,
            "create_time": record.create_time,
            "update_time": record.update_time,
        },
    }


class ShopWebhooks:
    """Addresses set with the Event API (§14.1) win over the app-level URL (Partner Center)."""

    def __init__(self, app_url: str | None):
        self.app_url = app_url
        self._shop: dict[str, dict] = {}
        self._lock = threading.Lock()

    def put(self, event_type: str, address: str, now: int) -> None:
        with self._lock:
            created = self._shop.get(event_type, {}).get("create_time", now)
            self._shop[event_type] = {
                "event_type": event_type,
                "address": address,
                "create_time": created,
                "update_time": now,
            }

    def delete(self, event_type: str) -> bool:
        with self._lock:
            return self._shop.pop(event_type, None) is not None

    def listed(self) -> list[dict]:
        with self._lock:
            return [dict(hook) for hook in self._shop.values()]

    def address(self, event_type: str) -> str | None:
        with self._lock:
            hook = self._shop.get(event_type)
        return hook["address"] if hook else self.app_url


@dataclass
class Delivery:
    url: str
    body: bytes
    attempt: int  # 1 = first try
    status: int | None  # HTTP status, None when the connection failed
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ACCEPTED


class Pusher:
    def __init__(
        self,
        app_key: str,
        app_secret: str,
        retry_delays_s: tuple[float, ...] = (0.05, 0.2, 0.5, 1.0),
        timeout_s: float = 3.0,
    ):
        self._app_key = app_key
        self._app_secret = app_secret
        self.retry_delays_s = retry_delays_s
        self._timeout_s = timeout_s
        self.deliveries: list[Delivery] = []
        self._queue: list[tuple[float, int, str, bytes, int]] = []  # (due, seq, url, body, try)
        self._seq = itertools.count()
        self._busy = 0
        self._cv = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None

    def push(self, url: str, payload: dict) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        with self._cv:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True, name="tts-webhooks")
                self._thread.start()
            heapq.heappush(self._queue, (time.monotonic(), next(self._seq), url, body, 1))
            self._cv.notify()

    def wait_idle(self, timeout_s: float = 5.0) -> bool:
        """True once nothing is queued, waiting to be retried, or in flight."""
        deadline = time.monotonic() + timeout_s
        with self._cv:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cv.wait(left)
            return True

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=self._timeout_s + 1)

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._closed and (
                    not self._queue or self._queue[0][0] > time.monotonic()
                ):
                    self._cv.wait(self._queue[0][0] - time.monotonic() if self._queue else None)
                if self._closed:
                    return
                _, _, url, body, attempt = heapq.heappop(self._queue)
                self._busy += 1
            delivery = self._send(url, body, attempt)
            with self._cv:
                self.deliveries.append(delivery)
                if not delivery.ok and attempt <= len(self.retry_delays_s):
                    due = time.monotonic() + self.retry_delays_s[attempt - 1]
                    heapq.heappush(self._queue, (due, next(self._seq), url, body, attempt + 1))
                self._busy -= 1
                self._cv.notify_all()

    def _send(self, url: str, body: bytes, attempt: int) -> Delivery:
        headers = {
            "content-type": "application/json",
            "Authorization": webhook_sign(self._app_key, self._app_secret, body),
        }
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout_s) as response:
                return Delivery(url, body, attempt, response.status)
        except urllib.error.HTTPError as error:
            return Delivery(url, body, attempt, error.code, str(error))
        except (OSError, ValueError) as error:  # refused, reset, timed out, bad URL
            return Delivery(url, body, attempt, None, repr(error))
