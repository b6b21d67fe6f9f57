"""Returns, refunds, replacements and buyer cancellation requests (TikTok reference §17).

Answers carry an `idempotency_key` (the caller's, at most 255 characters): TikTok recognises a
repeated request by it, so an answer is retried on timeouts and 5xx like a read, and a resend
with the same key cannot answer twice. Which decision fits a request follows from its type and
what TikTok asks of the seller now (`ReturnRequest.approve_decision` / `reject_decision`).
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sync.tiktok import cancellations
from sync.tiktok.calls import TikTokCalls, segment
from sync.tiktok.fields import (
    Unreadable,
    count_or_none,
    enum_value,
    money,
    next_deadline,
    read_each,
    required,
    text,
    text_or_empty,
    unix_time,
)
from sync.tiktok.models import next_page_token

RETURNS_PAGE_SIZE = 50  # Search Returns takes 10-50
MAX_IDEMPOTENCY_KEY = 255


class ReturnType(StrEnum):
    REFUND = "REFUND"  # the buyer keeps (or never got) the item
    RETURN_AND_REFUND = "RETURN_AND_REFUND"
    REPLACEMENT = "REPLACEMENT"
    UNKNOWN = "UNKNOWN"


class ReturnStatus(StrEnum):
    PENDING = "RETURN_OR_REFUND_REQUEST_PENDING"
    REJECTED = "REFUND_OR_RETURN_REQUEST_REJECT"
    AWAITING_BUYER_SHIP = "AWAITING_BUYER_SHIP"
    BUYER_SHIPPED_ITEM = "BUYER_SHIPPED_ITEM"
    PACKAGE_REJECTED = "REJECT_RECEIVE_PACKAGE"
    SUCCESS = "RETURN_OR_REFUND_REQUEST_SUCCESS"
    CANCELLED = "RETURN_OR_REFUND_REQUEST_CANCEL"  # withdrawn by the buyer or closed
    COMPLETE = "RETURN_OR_REFUND_REQUEST_COMPLETE"  # refund paid
    REPLACEMENT_PENDING = "REPLACEMENT_REQUEST_PENDING"
    REPLACEMENT_REJECTED = "REPLACEMENT_REQUEST_REJECT"
    REPLACEMENT_REFUNDED = "REPLACEMENT_REQUEST_REFUND_SUCCESS"
    REPLACEMENT_CANCELLED = "REPLACEMENT_REQUEST_CANCEL"
    REPLACEMENT_COMPLETE = "REPLACEMENT_REQUEST_COMPLETE"
    AWAITING_BUYER_RESPONSE = "AWAITING_BUYER_RESPONSE"
    UNKNOWN = "UNKNOWN"


OPEN_STATUSES = frozenset(
    {
        ReturnStatus.PENDING,
        ReturnStatus.AWAITING_BUYER_SHIP,
        ReturnStatus.BUYER_SHIPPED_ITEM,
        ReturnStatus.REPLACEMENT_PENDING,
        ReturnStatus.AWAITING_BUYER_RESPONSE,
    }
)
REFUNDED_STATUSES = frozenset(
    {ReturnStatus.SUCCESS, ReturnStatus.COMPLETE, ReturnStatus.REPLACEMENT_REFUNDED}
)


class ApproveDecision(StrEnum):
    APPROVE_REFUND = "APPROVE_REFUND"
    APPROVE_RETURN = "APPROVE_RETURN"
    APPROVE_RECEIVED_PACKAGE = "APPROVE_RECEIVED_PACKAGE"
    APPROVE_REPLACEMENT = "APPROVE_REPLACEMENT"
    ISSUE_REPLACEMENT_REFUND = "ISSUE_REPLACEMENT_REFUND"
    OFFER_PARTIAL_REFUND = "OFFER_PARTIAL_REFUND"


class RejectDecision(StrEnum):
    REJECT_REFUND = "REJECT_REFUND"
    REJECT_RETURN = "REJECT_RETURN"
    REJECT_RECEIVED_PACKAGE = "REJECT_RECEIVED_PACKAGE"
    REJECT_REPLACEMENT = "REJECT_REPLACEMENT"


RECEIVE_PACKAGE = "SELLER_RESPOND_RECEIVE_PACKAGE"
_DECISIONS = {  # (type, returned package awaiting the seller?) -> (approve, reject)
    (ReturnType.REFUND, False): (ApproveDecision.APPROVE_REFUND, RejectDecision.REJECT_REFUND),
    (ReturnType.RETURN_AND_REFUND, False): (
        ApproveDecision.APPROVE_RETURN,
        RejectDecision.REJECT_RETURN,
    ),
    (ReturnType.RETURN_AND_REFUND, True): (
        ApproveDecision.APPROVE_RECEIVED_PACKAGE,
        RejectDecision.REJECT_RECEIVED_PACKAGE,
    ),
    (ReturnType.REPLACEMENT, False): (
        ApproveDecision.APPROVE_REPLACEMENT,
        RejectDecision.REJECT_REPLACEMENT,
    ),
}


@dataclass(frozen=True)
class SellerAction:
    action: str  # SELLER_RESPOND_REFUND, _RETURN, _RECEIVE_PACKAGE or _REPLACEMENT
    deadline: datetime  # TikTok answers by itself after it


@dataclass(frozen=True)
class ReturnLine:
    return_line_item_id: str | None
    order_line_item_id: str
    sku_id: str
    seller_sku: str
    product_name: str
    refund_total: Decimal | None


@dataclass(frozen=True)
class ReturnRequest:
    return_id: str
    order_id: str
    return_type: ReturnType
    status: ReturnStatus
    role: str | None  # who opened it: BUYER, SELLER, OPERATOR, SYSTEM
    reason: str | None  # the reason name
    reason_text: str | None
    currency: str
    refund_total: Decimal | None
    line_items: tuple[ReturnLine, ...]
    seller_actions: tuple[SellerAction, ...]  # what TikTok waits for from the seller
    create_time: datetime
    update_time: datetime
    return_tracking_number: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def deadline(self) -> datetime | None:
        return min((a.deadline for a in self.seller_actions), default=None)

    @property
    def approve_decision(self) -> ApproveDecision | None:
        """The decision that grants what is asked now; None when nothing is asked."""
        return self._decisions()[0]

    @property
    def reject_decision(self) -> RejectDecision | None:
        return self._decisions()[1]

    def _decisions(self) -> tuple:
        if not self.seller_actions:
            return (None, None)
        package = any(action.action == RECEIVE_PACKAGE for action in self.seller_actions)
        return _DECISIONS.get((self.return_type, package), (None, None))


@dataclass(frozen=True)
class ReturnPage:
    returns: list[ReturnRequest]
    next_page_token: str
    total_count: int | None
    skipped: tuple[str, ...] = ()  # ids of requests on this page that could not be read


@dataclass(frozen=True)
class RejectReason:
    name: str  # what Reject Return / Reject Cancellation take
    text: str  # display text


class ReturnCalls(TikTokCalls):
    def search_returns(
        self,
        *,
        update_time_ge: int | None = None,
        update_time_lt: int | None = None,
        create_time_ge: int | None = None,
        create_time_lt: int | None = None,
        return_ids: Sequence[str] | None = None,
        order_ids: Sequence[str] | None = None,
        return_status: Sequence[ReturnStatus] | None = None,
        page_size: int = RETURNS_PAGE_SIZE,
        sort_field: str = "update_time",
        sort_order: str = "ASC",
    ) -> Iterator[ReturnPage]:
        """One request per page, following `next_page_token`; requests that cannot be read
        are left out and named in `ReturnPage.skipped`."""
        filters = {
            "update_time_ge": update_time_ge,
            "update_time_lt": update_time_lt,
            "create_time_ge": create_time_ge,
            "create_time_lt": create_time_lt,
            "return_ids": list(return_ids) if return_ids is not None else None,
            "order_ids": list(order_ids) if order_ids is not None else None,
            "return_status": [str(s) for s in return_status] if return_status else None,
        }
        body = {name: value for name, value in filters.items() if value is not None}
        params = {"page_size": str(page_size), "sort_field": sort_field, "sort_order": sort_order}
        path = "/return_refund/202309/returns/search"
        yield from self._pages("search_returns", path, params, body, parse_return_page)

    def approve_return(
        self,
        return_id: str,
        *,
        decision: ApproveDecision,
        idempotency_key: str,
        buyer_keep_item: bool | None = None,
    ) -> None:
        body: dict = {"decision": str(decision)}
        if buyer_keep_item is not None:
            body["buyer_keep_item"] = buyer_keep_item
        path = f"/return_refund/202309/returns/{segment(return_id)}/approve"
        self._answer("approve_return", path, body, idempotency_key)

    def reject_return(
        self,
        return_id: str,
        *,
        decision: RejectDecision,
        reason: str,
        idempotency_key: str,
        comment: str | None = None,
    ) -> None:
        """`reason` is a name from `reject_reasons(return_id)`."""
        body = {"decision": str(decision), "reject_reason": reason}
        if comment is not None:
            body["comment"] = comment
        path = f"/return_refund/202309/returns/{segment(return_id)}/reject"
        self._answer("reject_return", path, body, idempotency_key)

    def reject_reasons(self, request_id: str, *, locale: str | None = None) -> list[RejectReason]:
        """The reasons TikTok takes for rejecting this return, refund or cancellation request
        as it stands now."""
        params = {"return_or_cancel_id": request_id, **({"locale": locale} if locale else {})}
        return self._call(
            "reject_reasons",
            "GET",
            "/return_refund/202309/reject_reasons",
            _reasons,
            params=params,
        )

    def approve_cancellation(self, cancel_id: str, *, idempotency_key: str) -> None:
        """Approve a buyer's cancellation request: TikTok cancels the order."""
        path = f"/return_refund/202309/cancellations/{segment(cancel_id)}/approve"
        self._answer("approve_cancellation", path, {}, idempotency_key)

    def reject_cancellation(
        self, cancel_id: str, *, reason: str, idempotency_key: str, comment: str | None = None
    ) -> None:
        """Outside the US only: US sellers reject a buyer's request by shipping (§17.4)."""
        body = {"reject_reason": reason, **({"comment": comment} if comment is not None else {})}
        path = f"/return_refund/202309/cancellations/{segment(cancel_id)}/reject"
        self._answer("reject_cancellation", path, body, idempotency_key)

    def pending_cancellation_requests(
        self, *, page_size: int = 50
    ) -> list[cancellations.Cancellation]:
        """Every buyer cancellation request still waiting for the seller (§17.5)."""
        body = {"cancel_types": ["BUYER_CANCEL"], "cancel_status": ["CANCELLATION_REQUEST_PENDING"]}
        params = {"page_size": str(page_size)}
        path = "/return_refund/202309/cancellations/search"
        pages = self._pages(
            "search_cancellations",
            path,
            params,
            body,
            lambda data: cancellations.parse_cancellations(data.get("cancellations")),
        )
        return [record for page in pages for record in page]

    def _answer(self, endpoint: str, path: str, body: dict, idempotency_key: str) -> None:
        if not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
            raise ValueError(f"idempotency_key must be 1-{MAX_IDEMPOTENCY_KEY} characters")
        # The key makes a resend safe, so the answer retries like a read.
        self._call(
            endpoint,
            "POST",
            path,
            lambda data: None,
            params={"idempotency_key": idempotency_key},
            body=body,
        )


def parse_return(record: Any) -> ReturnRequest:
    if not isinstance(record, dict):
        raise Unreadable("return is not an object")
    return_id = required(record, "return_id", "return")
    where = f"return {return_id}"
    refund = record.get("refund_amount") if isinstance(record.get("refund_amount"), dict) else {}
    lines = record.get("return_line_items") or []
    if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
        raise Unreadable(f"{where}.return_line_items is not a list of objects")
    actions = record.get("seller_next_action_response") or []
    return ReturnRequest(
        return_id=return_id,
        order_id=required(record, "order_id", where),
        return_type=enum_value(ReturnType, record.get("return_type"), f"{where}.return_type"),
        status=enum_value(ReturnStatus, record.get("return_status"), f"{where}.return_status"),
        role=text(record.get("role")),
        reason=text(record.get("return_reason")),
        reason_text=text(record.get("return_reason_text")),
        currency=text_or_empty(refund.get("currency")),
        refund_total=money(refund.get("refund_total"), f"{where} refund_total"),
        line_items=tuple(_line(line, where) for line in lines),
        seller_actions=_actions(actions, where),
        create_time=unix_time(record.get("create_time"), f"{where}.create_time"),
        update_time=unix_time(record.get("update_time"), f"{where}.update_time"),
        return_tracking_number=text(record.get("return_tracking_number")),
    )


def parse_return_page(data: dict) -> ReturnPage:
    found, skipped = read_each(data.get("return_orders"), parse_return, "return", "return_id")
    return ReturnPage(
        returns=found,
        next_page_token=next_page_token(data),
        total_count=count_or_none(data.get("total_count")),
        skipped=skipped,
    )


def _line(line: dict, where: str) -> ReturnLine:
    refund = line.get("refund_amount") if isinstance(line.get("refund_amount"), dict) else {}
    return ReturnLine(
        return_line_item_id=text(line.get("return_line_item_id")),
        order_line_item_id=required(line, "order_line_item_id", f"{where} line"),
        sku_id=text_or_empty(line.get("sku_id")),
        seller_sku=text_or_empty(line.get("seller_sku")),
        product_name=text_or_empty(line.get("product_name")),
        refund_total=money(refund.get("refund_total"), f"{where} line refund_total"),
    )


def _actions(actions: Any, where: str) -> tuple[SellerAction, ...]:
    if not isinstance(actions, list):
        raise Unreadable(f"{where}.seller_next_action_response is not a list")
    found = []
    for action in actions:
        deadline = next_deadline([action])
        if deadline is None or not isinstance(action, dict):
            raise Unreadable(f"{where}.seller_next_action_response has no deadline")
        found.append(SellerAction(action=text_or_empty(action.get("action")), deadline=deadline))
    return tuple(found)


def _reasons(data: dict) -> list[RejectReason]:
    return [
        RejectReason(name=required(r, "name", "reject reason"), text=text_or_empty(r.get("text")))
        for r in data.get("reasons") or ()
        if isinstance(r, dict)
    ]
