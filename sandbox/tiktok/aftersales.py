"""After-sales state (§17): return, refund and replacement requests move by the buyer's steps
(simulation controls), the seller's answers (the API) and TikTok's deadlines (`tick`).

Where the reference is silent, the choices (kept here):
- Approving or rejecting a request that is no longer waiting for that answer: 25020009 if the
  buyer withdrew it, 25020010 for a reject after a refund, 25011013 for approving a returned
  package not yet received, 25011035 for rejecting it, 25011012 otherwise.
- A refund goes through at once: SUCCESS, then COMPLETE (two pushes), as cancellations do.
  Refunding every item of an order completes it (§11); a partial refund leaves it as it is.
- TikTok approves an unanswered refund, return or returned package at its deadline (§17.6); a
  replacement's is not stated, so it stays pending. Approving a replacement completes it; the
  new order TikTok then creates is not emulated.
- Opening a request does not touch the order's `update_time` (not stated, SPEC §4.2 assumes
  so); a delivered order with an open request does not auto-complete.
"""

from collections.abc import Callable
from decimal import Decimal

from .errors import (
    CANCEL_INVALID_PARAMETER,
    RETURN_ALREADY_APPROVED,
    RETURN_ALREADY_CANCELLED,
    RETURN_DECISION_MISMATCH,
    RETURN_NOT_FOR_FBT,
    RETURN_PACKAGE_NOT_APPROVABLE,
    RETURN_PACKAGE_NOT_REJECTABLE,
    RETURN_REASON_MISMATCH,
    RETURN_REASON_OFFLINE,
    RETURN_STATUS_NOT_ALLOWED,
    RETURN_UNKNOWN_REASON,
    ApiError,
)
from .orders import AWAITING_COLLECTION, COMPLETED, DELIVERED, IN_TRANSIT, Order, money
from .returns import (
    APPROVALS,
    AWAITING_BUYER_RESPONSE,
    AWAITING_BUYER_SHIP,
    BUYER_SHIPPED,
    COMPLETE,
    DEFAULT_BUYER_REASON,
    KNOWN_REASONS,
    OFFLINE_REASONS,
    OPENABLE,
    PACKAGE,
    PACKAGE_REJECTED,
    PENDING,
    REFUND,
    REFUNDED,
    REJECT_REASONS,
    REJECTED,
    REJECTIONS,
    REPLACEMENT,
    REPLACEMENT_COMPLETE,
    REPLACEMENT_PENDING,
    REPLACEMENT_REFUNDED,
    REPLACEMENT_REJECTED,
    REPLACEMENT_WITHDRAWN,
    REQUEST,
    RETURN_AND_REFUND,
    RETURN_TYPES,
    SUCCESS,
    WITHDRAWN,
    ReturnRequest,
    return_lines,
)
from .store import Store

_REJECTED_TO = {REFUND: REJECTED, RETURN_AND_REFUND: REJECTED, REPLACEMENT: REPLACEMENT_REJECTED}
_REFUNDABLE_ORDERS = (AWAITING_COLLECTION, IN_TRANSIT, DELIVERED)


class ReturnDesk:
    def __init__(self, store: Store, notify: Callable[[str, object], None]):
        self._store = store
        self._notify = notify  # ("return", (record, role)) for each return_status change

    # --- the buyer's side (simulation controls) --------------------------------------------------

    def open(
        self,
        order_id: str,
        return_type: str,
        line_item_ids: list[str] | None = None,
        reason: str | None = None,
    ) -> ReturnRequest:
        store = self._store
        with store.lock:
            order = store.get(order_id)
            if return_type not in RETURN_TYPES:
                raise ValueError(f"return type must be one of {RETURN_TYPES}")
            if order.status not in OPENABLE[return_type]:
                raise ValueError(f"order {order_id} is {order.status}: no {return_type} then")
            chosen = list(line_item_ids or [item.id for item in order.items])
            if not set(chosen) <= {item.id for item in order.items} or not chosen:
                raise ValueError(f"line items {chosen} are not of order {order_id}")
            taken = {
                item_id
                for record in store.returns_of(order_id)
                if record.is_open or record.status in REFUNDED
                for item_id in record.line_item_ids
            }
            if taken & set(chosen):
                raise ValueError(f"items {sorted(taken & set(chosen))} already have a request")
            if reason is not None and not reason:
                raise ValueError("reason must be a reason name")
            now = store.now()
            lines, refund = return_lines(order, chosen, lambda: store.ids.new("return_line"))
            record = ReturnRequest(
                return_id=store.ids.new("return"),
                order_id=order_id,
                return_type=return_type,
                status=REPLACEMENT_PENDING if return_type == REPLACEMENT else PENDING,
                role="BUYER",
                reason=reason or DEFAULT_BUYER_REASON,
                line_items=lines,
                refund=refund,
                create_time=now,
                update_time=now,
                user_id=order.buyer["user_id"],
                fulfilled_by_tiktok=order.fulfillment_type == "FULFILLMENT_BY_TIKTOK",
            )
            record.ask(REQUEST, now)
            store.returns[record.return_id] = record
            self._notify("return", (record, "BUYER"))
            return record

    def buyer_ships(self, return_id: str, tracking_number: str | None = None) -> ReturnRequest:
        with self._store.lock:
            record = self._record(return_id)
            if record.status != AWAITING_BUYER_SHIP:
                raise ValueError(f"return {return_id} is {record.status}: nothing to send back")
            record.return_tracking_number = tracking_number or self._store.ids.new("tracking")
            return self._move(record, BUYER_SHIPPED, "BUYER")

    def seller_receives(self, return_id: str) -> ReturnRequest:
        """The returned package reaches the seller, who then has 48 hours to accept it."""
        with self._store.lock:
            record = self._record(return_id)
            if record.status != BUYER_SHIPPED or record.stage == PACKAGE:
                raise ValueError(f"return {return_id} is {record.status}: no parcel on its way")
            record.ask(PACKAGE, self._store.now())
            record.update_time = self._store.now()
            return record

    def buyer_withdraws(self, return_id: str) -> ReturnRequest:
        with self._store.lock:
            record = self._record(return_id)
            if not record.is_open:
                raise ValueError(f"return {return_id} is {record.status}: nothing to withdraw")
            closed = REPLACEMENT_WITHDRAWN if record.return_type == REPLACEMENT else WITHDRAWN
            return self._move(record, closed, "BUYER")

    # --- the seller's answers (the API) ----------------------------------------------------------

    def approve(self, return_id: str, decision: str, body: dict) -> None:
        with self._store.lock:
            record = self._answerable(return_id, approving=True)
            if decision not in APPROVALS[(record.return_type, record.stage)]:
                raise ApiError(RETURN_DECISION_MISMATCH, "decision not match reverse type")
            if decision == "OFFER_PARTIAL_REFUND":
                record.partial_refund = _partial_refund(body, record)
                self._move(record, AWAITING_BUYER_RESPONSE, "SELLER")
            elif decision == "APPROVE_RETURN" and not body.get("buyer_keep_item"):
                self._move(record, AWAITING_BUYER_SHIP, "SELLER")
            elif decision == "APPROVE_REPLACEMENT":
                self._move(record, REPLACEMENT_COMPLETE, "SELLER")
            elif decision == "ISSUE_REPLACEMENT_REFUND":
                self._refund(record, "SELLER", REPLACEMENT_REFUNDED)
            else:  # a refund, a returnless refund, or an accepted parcel
                self._refund(record, "SELLER")

    def reject(self, return_id: str, decision: str, reason: str) -> None:
        with self._store.lock:
            record = self._answerable(return_id, approving=False)
            key = (record.return_type, record.stage)
            if decision not in REJECTIONS[key]:
                raise ApiError(RETURN_DECISION_MISMATCH, "decision not match reverse type")
            if reason not in KNOWN_REASONS:
                raise ApiError(RETURN_UNKNOWN_REASON, f"Unknown reject reason: {reason}")
            if reason in OFFLINE_REASONS and reason not in REJECT_REASONS[key]:
                raise ApiError(RETURN_REASON_OFFLINE, "This reject reason is offline")
            if reason not in REJECT_REASONS[key]:
                raise ApiError(RETURN_REASON_MISMATCH, "Reject reason does not fit this action")
            closed = PACKAGE_REJECTED if record.stage == PACKAGE else _REJECTED_TO[key[0]]
            self._move(record, closed, "SELLER")

    def reject_reasons(self, request_id: str) -> dict[str, str] | None:
        """The reasons for rejecting this return or refund at its current stage; None for an
        unknown id (the caller tries cancellations)."""
        record = self._store.returns.get(request_id)
        return None if record is None else REJECT_REASONS[(record.return_type, record.stage)]

    # --- TikTok's clock ----------------------------------------------------------------------

    def tick(self) -> None:
        """TikTok approves unanswered requests at their deadline (§17.6; not replacements)."""
        store = self._store
        now = store.now()
        with store.lock:
            for record in list(store.returns.values()):
                waiting = record.deadline and record.deadline <= now
                if not waiting or record.return_type == REPLACEMENT:
                    continue
                if record.return_type == RETURN_AND_REFUND and record.stage == REQUEST:
                    self._move(record, AWAITING_BUYER_SHIP, "SYSTEM")
                else:
                    self._refund(record, "SYSTEM")

    # --- helpers -----------------------------------------------------------------------------

    def _record(self, return_id: str) -> ReturnRequest:
        record = self._store.returns.get(return_id)
        if record is None:
            raise KeyError(f"return {return_id}")
        return record

    def _answerable(self, return_id: str, *, approving: bool) -> ReturnRequest:
        record = self._store.returns.get(return_id)
        if record is None:
            raise ApiError(CANCEL_INVALID_PARAMETER, "Invalid parameter: return_id not found")
        if record.fulfilled_by_tiktok:
            raise ApiError(RETURN_NOT_FOR_FBT, "Not available for orders fulfilled by TikTok")
        if record.status in (WITHDRAWN, REPLACEMENT_WITHDRAWN):
            raise ApiError(RETURN_ALREADY_CANCELLED, "The request has been cancelled")
        if record.status == BUYER_SHIPPED and record.stage == REQUEST:
            if approving:
                raise ApiError(RETURN_PACKAGE_NOT_APPROVABLE, "The package is not received yet")
            raise ApiError(RETURN_PACKAGE_NOT_REJECTABLE, "The parcel cannot be rejected now")
        if not approving and record.status in REFUNDED:
            raise ApiError(RETURN_ALREADY_APPROVED, "The request has been approved")
        if record.status not in (PENDING, REPLACEMENT_PENDING, BUYER_SHIPPED):
            raise ApiError(RETURN_STATUS_NOT_ALLOWED, "The request's status does not allow it")
        return record

    def _move(self, record: ReturnRequest, status: str, role: str) -> ReturnRequest:
        record.status, record.update_time, record.deadline = status, self._store.now(), 0
        if status == BUYER_SHIPPED:
            record.stage = REQUEST  # the parcel is on its way: nothing to answer until it lands
        self._notify("return", (record, role))
        return record

    def _refund(self, record: ReturnRequest, role: str, status: str = SUCCESS) -> None:
        self._move(record, status, role)
        if status == SUCCESS:
            self._move(record, COMPLETE, "SYSTEM")  # the refund is paid at once
        order = self._store.get(record.order_id)
        refunded = {
            item_id
            for other in self._store.returns_of(order.id)
            if other.status in REFUNDED
            for item_id in other.line_item_ids
        }
        if order.status in _REFUNDABLE_ORDERS and refunded >= {item.id for item in order.items}:
            _complete_refunded(order, self._store.now())
            self._store.order_changed(order)


def _complete_refunded(order: Order, at: int) -> None:
    """A fully refunded order is COMPLETED (§11), wherever it was on the way."""
    if order.status == DELIVERED:
        order.move(COMPLETED, at)
        return
    order.status = COMPLETED
    order.update_time = max(order.update_time, at)
    order.refresh_items()


def _partial_refund(body: dict, record: ReturnRequest) -> dict:
    offer = body.get("partial_refund")
    try:
        amount = Decimal(str(offer["amount"]))
        valid = offer["currency"] == record.refund["currency"] and (
            0 < amount <= Decimal(record.refund["refund_total"])
        )
    except (KeyError, TypeError, ArithmeticError):
        valid = False
    if not valid:
        raise ApiError(CANCEL_INVALID_PARAMETER, "Invalid parameter: partial_refund")
    return {"currency": offer["currency"], "amount": money(amount)}
