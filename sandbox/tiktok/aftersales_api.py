"""The after-sales endpoints (§17): Search Returns, Approve / Reject Return, Get Reject Reasons,
Approve / Reject Cancellation. Parameter errors answer 25001001.

`idempotency_key` (optional, at most 255 characters): a key that already carried a request
that went through answers that request's answer again and does nothing more; the same key on
another request (other path or body) is refused with 25001001. How long TikTok remembers a key
is not stated (§17.8): the emulator never forgets. A refused request leaves its key unused.
"""

import json
import threading
from collections.abc import Callable

from sandbox.server import Request

from .aftersales import ReturnDesk
from .errors import CANCEL_INVALID_PARAMETER, ApiError
from .paging import Pager
from .params import ORDER_TIME_FILTERS, Route, choice, in_time_window, is_int, page, page_size
from .returns import (
    APPROVE_DECISIONS,
    CANCEL_REJECT,
    REJECT_DECISIONS,
    RETURN_STATUSES,
    RETURN_TYPES,
)
from .store import Store

BAD = CANCEL_INVALID_PARAMETER
MAX_KEY_LENGTH = 255
_LIST_FILTERS = {  # body filter -> allowed values (None: any string)
    "return_ids": None,
    "order_ids": None,
    "buyer_user_ids": None,
    "return_types": frozenset(RETURN_TYPES),
    "return_status": RETURN_STATUSES,
    "arbitration_status": frozenset({"IN_PROGRESS", "SUPPORT_BUYER", "SUPPORT_SELLER", "CLOSED"}),
    "seller_proposed_return_type": frozenset({"PARTIAL_REFUND"}),
}


class Idempotency:
    def __init__(self) -> None:
        self._answers: dict[str, tuple[str, dict]] = {}  # key -> (request fingerprint, data)
        self._lock = threading.Lock()

    def run(self, request: Request, body: dict, act: Callable[[], dict]) -> dict:
        key = request.query.get("idempotency_key") or None
        if key is not None and len(key) > MAX_KEY_LENGTH:
            raise ApiError(BAD, f"Invalid parameter: idempotency_key over {MAX_KEY_LENGTH} chars")
        if key is None:
            return act()
        fingerprint = json.dumps([request.method, request.path, body], sort_keys=True)
        with self._lock:  # one request per key at a time, so a key is never spent twice
            if key in self._answers:
                seen, answer = self._answers[key]
                if seen != fingerprint:
                    raise ApiError(
                        BAD, "Invalid parameter: idempotency_key belongs to another request"
                    )
                return dict(answer)
            answer = act()
            self._answers[key] = (fingerprint, dict(answer))
            return answer


class AfterSalesApi:
    def __init__(self, store: Store, desk: ReturnDesk, pager: Pager):
        self._store = store
        self._desk = desk
        self._pager = pager
        self._keys = Idempotency()

    def routes(self) -> list[Route]:
        base = "/return_refund/202309"
        return [
            Route("POST", f"{base}/returns/search", "shop", self.search_returns),
            Route("POST", f"{base}/returns/{{return_id}}/approve", "shop", self.approve_return),
            Route("POST", f"{base}/returns/{{return_id}}/reject", "shop", self.reject_return),
            Route("GET", f"{base}/reject_reasons", "shop", self.reject_reasons),
            Route(
                "POST", f"{base}/cancellations/{{cancel_id}}/approve", "shop", self.approve_cancel
            ),
            Route("POST", f"{base}/cancellations/{{cancel_id}}/reject", "shop", self.reject_cancel),
        ]

    def search_returns(self, request: Request, params: dict, body: dict) -> dict:
        query = request.query
        size = page_size(query, BAD, required=False, default=10, most=50, least=10)
        sort_field = choice(query, "sort_field", ("create_time", "update_time"), BAD)
        sort_order = choice(query, "sort_order", ("ASC", "DESC"), BAD)
        filters = _return_filters(body)
        bound = {"search": "returns", "sort": [sort_field, sort_order], **filters}
        store = self._store

        def matching() -> list[str]:
            found = [r for r in store.returns.values() if _return_matches(r, filters)]
            found.sort(key=lambda r: (getattr(r, sort_field), r.return_id))
            if sort_order == "DESC":
                found.reverse()
            return [record.return_id for record in found]

        with store.lock:
            ids, next_token, total = page(self._pager, matching, bound, size, query, BAD)
            returns = [store.returns[return_id].to_json() for return_id in ids]
        return {"return_orders": returns, "next_page_token": next_token, "total_count": total}

    def approve_return(self, request: Request, params: dict, body: dict) -> dict:
        decision = _decision(body, APPROVE_DECISIONS)
        keep = body.get("buyer_keep_item")
        if keep is not None and (not isinstance(keep, bool) or decision != "APPROVE_RETURN"):
            raise ApiError(BAD, "Invalid parameter: buyer_keep_item goes with APPROVE_RETURN")

        def act() -> dict:
            self._desk.approve(params["return_id"], decision, body)
            return {}

        return self._keys.run(request, body, act)

    def reject_return(self, request: Request, params: dict, body: dict) -> dict:
        decision = _decision(body, REJECT_DECISIONS)
        reason = _reject_reason(body)

        def act() -> dict:
            self._desk.reject(params["return_id"], decision, reason)
            return {}

        return self._keys.run(request, body, act)

    def reject_reasons(self, request: Request, params: dict, body: dict) -> dict:
        request_id = request.query.get("return_or_cancel_id")
        if not request_id:
            raise ApiError(BAD, "Invalid parameter: return_or_cancel_id is required")
        with self._store.lock:
            reasons = self._desk.reject_reasons(request_id)
            if reasons is None and self._store.cancellation(request_id) is not None:
                reasons = CANCEL_REJECT
        if reasons is None:
            raise ApiError(BAD, "Invalid parameter: return_or_cancel_id not found")
        return {"reasons": [{"name": name, "text": text} for name, text in reasons.items()]}

    def approve_cancel(self, request: Request, params: dict, body: dict) -> dict:
        def act() -> dict:
            self._store.answer_buyer_request(params["cancel_id"])
            return {}

        return self._keys.run(request, body, act)

    def reject_cancel(self, request: Request, params: dict, body: dict) -> dict:
        reason = _reject_reason(body)

        def act() -> dict:
            self._store.answer_buyer_request(params["cancel_id"], reject_reason=reason)
            return {}

        return self._keys.run(request, body, act)


def _decision(body: dict, allowed: frozenset[str]) -> str:
    decision = body.get("decision")
    if decision not in allowed:
        raise ApiError(BAD, f"Invalid parameter: decision must be one of {sorted(allowed)}")
    return decision


def _reject_reason(body: dict) -> str:
    reason = body.get("reject_reason")
    if not isinstance(reason, str) or not reason:
        raise ApiError(BAD, "Invalid parameter: reject_reason is required")
    comment = body.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise ApiError(BAD, "Invalid parameter: comment must be text")
    return reason


def _return_filters(body: dict) -> dict:
    filters = {}
    for name, allowed in _LIST_FILTERS.items():
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ApiError(BAD, f"Invalid parameter: {name} must be a list of strings")
        if allowed is not None and not set(value) <= allowed:
            raise ApiError(BAD, f"Invalid parameter: {name} has unknown values")
        filters[name] = sorted(set(value))
    for name in ORDER_TIME_FILTERS:
        if body.get(name) is not None:
            if not is_int(body[name]):
                raise ApiError(BAD, f"Invalid parameter: {name} must be an integer")
            filters[name] = body[name]
    return filters


def _return_matches(record, filters: dict) -> bool:
    values = {
        "return_ids": record.return_id,
        "order_ids": record.order_id,
        "buyer_user_ids": record.user_id,
        "return_types": record.return_type,
        "return_status": record.status,
        "arbitration_status": None,  # no request goes to arbitration here
        "seller_proposed_return_type": "PARTIAL_REFUND" if record.partial_refund else None,
    }
    if any(name in filters and value not in filters[name] for name, value in values.items()):
        return False
    return in_time_window(record, filters)
