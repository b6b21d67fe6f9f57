"""The shop's state: orders, cancellations and every change to them, under one lock.

Changes report themselves through `notify(kind, payload)` (kinds "order" and "cancellation";
the returns desk, aftersales.py, reports "return" on its own),
called with the lock held and expected to return at once (the webhook pusher only enqueues).
"""

import threading
from collections.abc import Callable

from sandbox.clock import SandboxClock

from . import reasons
from .cancellations import (
    CLOSED,
    COMPLETE,
    PENDING,
    SUCCESS,
    Cancellation,
    line_items_of,
    refund_of,
)
from .errors import (
    CANCEL_ALREADY_SHIPPED,
    CANCEL_INVALID_PARAMETER,
    CANCEL_NO_LINE_ITEMS,
    CANCEL_NO_PERMISSION,
    CANCEL_ORDER_FINISHED,
    CANCEL_REASON_NOT_FOR_SELLER,
    CANCEL_REASON_STATUS_MISMATCH,
    CANCEL_UNKNOWN_REASON,
    RETURN_ALREADY_CANCELLED,
    RETURN_DECISION_MISMATCH,
    RETURN_REASON_MISMATCH,
    RETURN_STATUS_NOT_ALLOWED,
    RETURN_UNKNOWN_REASON,
    ApiError,
)
from .ids import Ids
from .orders import (
    AWAITING_COLLECTION,
    AWAITING_SHIPMENT,
    CANCELLED,
    COMPLETED,
    DAY,
    DELIVERED,
    NEXT,
    ON_HOLD,
    PARTIALLY_SHIPPING,
    SHIPPED,
    STATUSES,
    UNPAID,
    Order,
)
from .returns import CANCEL_REJECT, KNOWN_REASONS, ReturnRequest
from .shipping import COLLECTION_DUE_S, SHIPPING_DUE_S

REMORSE_WINDOW_S = 3600  # ON_HOLD -> AWAITING_SHIPMENT (§11)
# TikTok cancels an order not shipped by `shipping_due_time` or not collected by
# `collection_due_time` (§16.1); the reason keys are not stated, these are the closest listed.
NOT_SHIPPED_REASON = "platform_cancel"
NOT_COLLECTED_REASON = "system_cancel_order_reason_shipping_timeout"
_TO_SHIP = (AWAITING_SHIPMENT, PARTIALLY_SHIPPING)


class Store:
    def __init__(
        self,
        clock: SandboxClock,
        ids: Ids,
        notify: Callable[[str, object], None],
        completion_days: int = 15,
    ):
        self.clock = clock
        self.ids = ids
        self.completion_days = completion_days
        self.lock = threading.RLock()
        self._notify = notify
        self._orders: dict[str, Order] = {}
        self._cancellations: dict[str, Cancellation] = {}
        self.returns: dict[str, ReturnRequest] = {}  # aftersales.ReturnDesk moves them
        self._timed: set[str] = set()  # orders that a deadline can move on (`tick`)

    def now(self) -> int:
        return int(self.clock.now())

    # --- reading -------------------------------------------------------------------------

    def get(self, order_id: str) -> Order:
        with self.lock:
            if order_id not in self._orders:
                raise KeyError(f"unknown order {order_id}")
            return self._orders[order_id]

    def find(self, order_id: str) -> Order | None:
        with self.lock:
            return self._orders.get(order_id)

    def all_orders(self) -> list[Order]:
        with self.lock:
            return list(self._orders.values())

    def all_cancellations(self) -> list[Cancellation]:
        with self.lock:
            return list(self._cancellations.values())

    def cancellation(self, cancel_id: str) -> Cancellation | None:
        with self.lock:
            return self._cancellations.get(cancel_id)

    def returns_of(self, order_id: str) -> list[ReturnRequest]:
        with self.lock:
            return [record for record in self.returns.values() if record.order_id == order_id]

    def open_returns(
        self, order_id: str, line_item_ids: list[str] | None = None
    ) -> list[ReturnRequest]:
        """Open requests of the order (touching any of `line_item_ids`, when given)."""
        return [
            record
            for record in self.returns_of(order_id)
            if record.is_open
            and (line_item_ids is None or set(record.line_item_ids) & set(line_item_ids))
        ]

    # --- lifecycle -------------------------------------------------------------------------

    def add(self, order: Order) -> None:
        with self.lock:
            if order.id in self._orders:
                raise ValueError(f"order {order.id} already exists")
            self._orders[order.id] = order
            self.order_changed(order)

    def set_status(self, order_id: str, status: str, at: int | None = None) -> Order:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status}; one of {sorted(STATUSES)}")
        if status == CANCELLED:
            return self.system_cancel(order_id, "platform_cancel")
        with self.lock:
            order = self.get(order_id)
            if order.status == CANCELLED:
                raise ValueError(f"order {order_id} is cancelled")
            order.move(status, self.now() if at is None else at)
            self.order_changed(order)
            return order

    def advance(self, order_id: str) -> Order:
        with self.lock:
            status = self.get(order_id).status
            if status not in NEXT:
                raise ValueError(f"order {order_id} is {status}: no next status")
            return self.set_status(order_id, NEXT[status])

    def deliver(self, order_id: str, at: int | None = None) -> Order:
        with self.lock:
            if self.get(order_id).status in (CANCELLED, COMPLETED):
                raise ValueError(f"order {order_id} is {self.get(order_id).status}")
            return self.set_status(order_id, DELIVERED, at)

    def tick(self) -> None:
        """TikTok's own clock rules: the remorse window ends, unshipped or uncollected orders
        are cancelled at their due times, delivered orders complete."""
        now = self.now()
        with self.lock:
            for order_id in list(self._timed):
                order = self._orders[order_id]
                while order_id in self._timed and self._apply_deadline(order, now):
                    pass
            for request in list(self._cancellations.values()):  # unanswered: TikTok approves
                if request.status == PENDING and request.deadline <= now:
                    self._approve_request(self._orders[request.order_id], request)

    def _apply_deadline(self, order: Order, now: int) -> bool:
        """Apply the first rule due for `order`; False when none is."""
        paid = order.times.get("paid_time", 0)  # runs before every call: cheap sums only
        if order.status == ON_HOLD and paid + REMORSE_WINDOW_S <= now:
            order.move(AWAITING_SHIPMENT, paid + REMORSE_WINDOW_S)
        elif order.status in _TO_SHIP and paid + SHIPPING_DUE_S <= now:
            self.system_cancel(order.id, NOT_SHIPPED_REASON)
            return True
        elif order.status == AWAITING_COLLECTION and paid + COLLECTION_DUE_S <= now:
            self.system_cancel(order.id, NOT_COLLECTED_REASON)
            return True
        elif order.status == DELIVERED and not self.open_returns(order.id):
            completes = order.times["delivery_time"] + self.completion_days * DAY
            if completes > now:
                return False
            order.move(COMPLETED, completes)
        else:
            return False
        self.order_changed(order)
        return True

    # --- cancellations -----------------------------------------------------------------------

    def seller_cancel(self, order_id: str, reason: str, partial: bool = False) -> Cancellation:
        """Cancel Order (§12.1), with the US reason table (§12.3)."""
        with self.lock:
            order = self._orders.get(order_id)
            if order is None:
                raise ApiError(CANCEL_NO_PERMISSION, "No permission to operate this order")
            if partial:  # US/UK out-of-stock line-item cancel: not emulated
                raise ApiError(CANCEL_NO_LINE_ITEMS, "Cannot cancel individual line items")
            if order.status in (CANCELLED, COMPLETED):
                raise ApiError(CANCEL_ORDER_FINISHED, "The order has been completed or cancelled")
            if order.status in SHIPPED or order.status == PARTIALLY_SHIPPING:
                raise ApiError(CANCEL_ALREADY_SHIPPED, "The order has been shipped")
            if not reasons.is_known(reason):
                raise ApiError(CANCEL_UNKNOWN_REASON, f"Unknown cancel reason: {reason}")
            seller_reason = reasons.SELLER_REASONS.get(reason)
            if seller_reason is None:
                raise ApiError(CANCEL_REASON_NOT_FOR_SELLER, "Reason not available to sellers")
            if order.status not in seller_reason.statuses:
                raise ApiError(CANCEL_REASON_STATUS_MISMATCH, "Reason not match order status")
            return self._cancel(order, "SELLER", "SELLER", reason, seller_reason.text, "CANCEL")

    def buyer_cancel(self, order_id: str, reason: str | None = None, pending: bool = False):
        """The buyer cancels (approved at once), or with `pending` only asks to."""
        with self.lock:
            order = self.get(order_id)
            if (
                order.status in (CANCELLED, COMPLETED, PARTIALLY_SHIPPING)
                or order.status in SHIPPED
            ):
                raise ValueError(f"order {order_id} is {order.status}: the buyer cannot cancel")
            if reason is None:
                unpaid = order.status == UNPAID
                reason = reasons.BUYER_UNPAID_DEFAULT if unpaid else reasons.BUYER_TO_SHIP_DEFAULT
            if not reasons.is_buyer_reason(reason):
                raise ValueError(f"{reason} is not a buyer reason")
            request = self._pending_request(order_id)
            if pending:
                if request is not None:
                    raise ValueError(f"order {order_id} already has a pending buyer request")
                return self._request(order, reason)
            if request is not None:  # approving the buyer's earlier request
                return self._approve_request(order, request)
            text = reasons.buyer_text(reason)
            return self._cancel(order, "BUYER", "BUYER", reason, text, "BUYER_CANCEL")

    def answer_buyer_request(self, cancel_id: str, reject_reason: str | None = None):
        """Approve Cancellation, or with a reason Reject Cancellation (§17.4), of a pending
        buyer request. Answering one that is no longer pending: 25020009 once the order is
        cancelled, 25011012 once the request is closed."""
        with self.lock:
            record = self._cancellations.get(cancel_id)
            if record is None:
                raise ApiError(CANCEL_INVALID_PARAMETER, "Invalid parameter: cancel_id not found")
            if record.cancel_type != "BUYER_CANCEL":
                raise ApiError(RETURN_DECISION_MISMATCH, "The decision does not fit the type")
            if record.status in (SUCCESS, COMPLETE):
                raise ApiError(RETURN_ALREADY_CANCELLED, "The order has been cancelled")
            if record.status != PENDING:
                raise ApiError(RETURN_STATUS_NOT_ALLOWED, "The request's status does not allow it")
            order = self._orders[record.order_id]
            if reject_reason is None:
                return self._approve_request(order, record)
            if reject_reason not in CANCEL_REJECT:
                known = reject_reason in KNOWN_REASONS
                code = RETURN_REASON_MISMATCH if known else RETURN_UNKNOWN_REASON
                raise ApiError(code, f"Reject reason does not fit: {reject_reason}")
            self.close_buyer_request(order)
            return record

    def _approve_request(self, order: Order, request: Cancellation) -> Cancellation:
        request.status = COMPLETE
        return self._finish(order, request, "BUYER", "BUYER")

    def system_cancel(self, order_id: str, reason: str = "returned_to_shipper_refused"):
        with self.lock:
            order = self.get(order_id)
            if order.status in (CANCELLED, COMPLETED, DELIVERED):
                raise ValueError(f"order {order_id} is {order.status}: TikTok would not cancel it")
            if reason not in reasons.SYSTEM_REASONS:
                raise ValueError(f"unknown system reason {reason}")
            user = "OPERATOR" if reason in reasons.OPERATOR_REASONS else "SYSTEM"
            text = reasons.SYSTEM_REASONS[reason]
            return self._cancel(order, "SYSTEM", user, reason, text, "CANCEL")

    def _pending_request(self, order_id: str) -> Cancellation | None:
        return next(
            (
                record
                for record in self._cancellations.values()
                if record.order_id == order_id and record.status == PENDING
            ),
            None,
        )

    def _record(self, order: Order, role: str, reason: str, text: str, kind: str, status: str):
        now = self.now()
        record = Cancellation(
            cancel_id=self.ids.new("cancel"),
            order_id=order.id,
            cancel_type=kind,
            role=role,
            reason=reason,
            reason_text=text,
            status=status,
            create_time=now,
            update_time=now,
            user_id=order.buyer["user_id"],
            refund=refund_of(order),
            line_items=line_items_of(order, lambda: self.ids.new("cancel_line")),
        )
        self._cancellations[record.cancel_id] = record
        return record

    def _request(self, order: Order, reason: str) -> Cancellation:
        record = self._record(
            order, "BUYER", reason, reasons.buyer_text(reason), "BUYER_CANCEL", PENDING
        )
        order.request_cancel_time = record.create_time
        order.update_time = max(order.update_time, record.create_time)
        self._notify("cancellation", record)
        return record

    def _cancel(self, order: Order, role: str, user: str, reason: str, text: str, kind: str):
        record = self._record(order, role, reason, text, kind, SUCCESS)
        self._notify("cancellation", record)  # accepted, then done at once: two pushes
        record.status = COMPLETE
        return self._finish(order, record, role, user)

    def _finish(self, order: Order, record: Cancellation, role: str, user: str) -> Cancellation:
        record.update_time = self.now()
        order.cancel(initiator=role, user=user, reason_text=record.reason_text, at=self.now())
        self._notify("cancellation", record)
        self.order_changed(order)
        return record

    def close_buyer_request(self, order: Order) -> None:
        """A pending buyer cancellation request ends unapproved (shipping the order rejects it,
        §16.3): closed, as Search Cancellations' enum has no rejected status."""
        request = self._pending_request(order.id)
        if request is None:
            return
        request.status, request.update_time = CLOSED, self.now()
        order.request_cancel_time = 0
        self._notify("cancellation", request)

    def order_changed(self, order: Order) -> None:
        by_seller = order.fulfillment_type != "FULFILLMENT_BY_TIKTOK"
        if order.status in (ON_HOLD, DELIVERED) or (
            by_seller and order.status in (*_TO_SHIP, AWAITING_COLLECTION)
        ):
            self._timed.add(order.id)
        else:
            self._timed.discard(order.id)
        self._notify("order", order)
