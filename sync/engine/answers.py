"""Answering a request on TikTok: approve, or reject with one of TikTok's reasons (SPEC §4.2).

Each answer is read against TikTok first (it may have answered by itself at the deadline, or
someone may have answered in Seller Center), so an answered request gets a clear answer and
nothing is sent. The answer is claimed on the request's row before TikTok is called and
recorded after; it carries an idempotency key made of the request, the decision and the
reason, so a retry, a double click or a resend after a crash reaches TikTok once.
"""

import hashlib
import logging
from datetime import timedelta

from storage import queries
from storage.db import transaction
from storage.models import AfterSalesRequest
from storage.states import Actor, EventKind, RequestKind
from sync import history
from sync.engine import requests
from sync.engine.context import EngineContext
from sync.engine.errors import EngineError
from sync.engine.restocks import look_up
from sync.errors import MarketplaceError, Rejected
from sync.tiktok.client import LONGEST_CALL
from sync.tiktok.returns import RECEIVE_PACKAGE, ApproveDecision, RejectDecision, RejectReason

log = logging.getLogger(__name__)

# An answer claimed longer ago than a call can take was cut short (a crash): it may be sent
# again, with the same key.
CLAIM_STALE_AFTER = LONGEST_CALL + timedelta(minutes=1)
APPROVE_CANCELLATION = "APPROVE_CANCELLATION"


class ReasonRefused(EngineError):
    """A reject reason that is not one of TikTok's for the request; `reasons` are."""

    def __init__(self, given: str, reasons: tuple[RejectReason, ...]):
        super().__init__(f"“{given[:80]}” is not one of TikTok's reject reasons for this request.")
        self.given = given
        self.reasons = reasons


def answer_key(request_id: str, decision: str, reason: str | None = None) -> str:
    """The idempotency key of one answer: the same answer always has the same key."""
    key = f"orderbot-{request_id}-{decision.lower()}"
    if reason:
        key += "-" + hashlib.sha256(reason.encode("utf-8")).hexdigest()[:16]
    return key[:255]


def approve_decision(row: AfterSalesRequest) -> str | None:
    """What approves the request as it stands now; None when nothing is asked of the seller."""
    if not row.is_open or row.seller_action is None:
        return None
    if row.kind == RequestKind.CANCELLATION:
        return APPROVE_CANCELLATION
    if row.kind == RequestKind.RETURN_AND_REFUND:
        if row.seller_action == RECEIVE_PACKAGE:
            return ApproveDecision.APPROVE_RECEIVED_PACKAGE
        return ApproveDecision.APPROVE_RETURN
    if row.kind == RequestKind.REPLACEMENT:
        return ApproveDecision.APPROVE_REPLACEMENT
    return ApproveDecision.APPROVE_REFUND


def reject_decision(row: AfterSalesRequest) -> RejectDecision | None:
    if not row.is_open or row.seller_action is None or row.kind == RequestKind.CANCELLATION:
        return None
    if row.kind == RequestKind.RETURN_AND_REFUND:
        if row.seller_action == RECEIVE_PACKAGE:
            return RejectDecision.REJECT_RECEIVED_PACKAGE
        return RejectDecision.REJECT_RETURN
    if row.kind == RequestKind.REPLACEMENT:
        return RejectDecision.REJECT_REPLACEMENT
    return RejectDecision.REJECT_REFUND


def reread(ctx: EngineContext, row: AfterSalesRequest) -> AfterSalesRequest:
    """The request as TikTok shows it now, stored."""
    if row.kind == RequestKind.CANCELLATION:
        seen = [
            s
            for s in requests.search_cancellations(ctx, [row.tiktok_order_id])
            if s.request_id == row.request_id
        ]
    else:
        seen = [
            requests.from_return(r)
            for page in ctx.tiktok.search_returns(return_ids=[row.request_id])
            for r in page.returns
        ]
    requests.store(ctx, seen)
    return look_up(ctx, row.request_id)


def _not_waiting(row: AfterSalesRequest) -> EngineError:
    by = f" by {row.answered_by}" if row.answered_by else ""
    answered = f" (answered{by}: {row.answer})" if row.answer else ""
    return EngineError(
        f"Request {row.request_id} is not waiting for your answer: TikTok shows it as "
        f"{row.status}{answered}. Nothing was sent."
    )


def approve(ctx: EngineContext, request_id: str, *, actor: str) -> AfterSalesRequest:
    row = reread(ctx, look_up(ctx, request_id))
    decision = approve_decision(row)
    if decision is None:
        raise _not_waiting(row)
    key = answer_key(row.request_id, decision)
    if decision == APPROVE_CANCELLATION:
        _send(
            ctx,
            row,
            key,
            "approved",
            lambda: ctx.tiktok.approve_cancellation(row.request_id, idempotency_key=key),
            actor=actor,
            decision=decision,
        )
    else:
        _send(
            ctx,
            row,
            key,
            "approved",
            lambda: ctx.tiktok.approve_return(
                row.request_id, decision=ApproveDecision(decision), idempotency_key=key
            ),
            actor=actor,
            decision=decision,
        )
    return _after(ctx, row)


def reject_reasons(ctx: EngineContext, request_id: str) -> tuple[AfterSalesRequest, list]:
    """The request as TikTok shows it now and the reasons TikTok takes for rejecting it."""
    row = reread(ctx, look_up(ctx, request_id))
    _check_rejectable(row)
    return row, ctx.tiktok.reject_reasons(row.request_id)


def match_reason(given: str, reasons: list[RejectReason]) -> RejectReason | None:
    """A reason by its name or its text, case-insensitively."""
    wanted = " ".join(given.split()).casefold()
    for reason in reasons:
        if wanted in (reason.name.casefold(), " ".join(reason.text.split()).casefold()):
            return reason
    return None


def reject(ctx: EngineContext, request_id: str, reason: str, *, actor: str) -> AfterSalesRequest:
    row, reasons = reject_reasons(ctx, request_id)
    chosen = match_reason(reason, reasons)
    if chosen is None:
        raise ReasonRefused(reason, tuple(reasons))
    decision = reject_decision(row)
    key = answer_key(row.request_id, decision, chosen.name)
    _send(
        ctx,
        row,
        key,
        f"rejected: {chosen.text or chosen.name}",
        lambda: ctx.tiktok.reject_return(
            row.request_id, decision=decision, reason=chosen.name, idempotency_key=key
        ),
        actor=actor,
        decision=decision,
    )
    return _after(ctx, row)


def _check_rejectable(row: AfterSalesRequest) -> None:
    if row.kind == RequestKind.CANCELLATION:
        raise EngineError(
            f"Request {row.request_id} is a buyer's cancellation request: TikTok has US sellers "
            "turn it down by shipping the order before the deadline, not by rejecting it. "
            "Nothing was sent."
        )
    if reject_decision(row) is None:
        raise _not_waiting(row)


def _send(
    ctx: EngineContext,
    row: AfterSalesRequest,
    key: str,
    answer: str,
    call,
    *,
    actor: str,
    decision: str,
):
    """Claim, call TikTok, record: `answer` is what the request shows, `decision` goes to
    the order's history with it."""
    now = ctx.clock()
    with transaction(ctx.sessions) as session:
        claimed = queries.claim_answer(
            session,
            request_pk=row.id,
            key=key,
            actor=actor,
            now=now,
            stale_before=now - CLAIM_STALE_AFTER,
        )
    if not claimed:
        raise EngineError(
            f"Request {row.request_id} is being answered by {row.answering_by or 'someone'} "
            "right now; look again in a moment."
        )
    try:
        call()
    except MarketplaceError as exc:
        with transaction(ctx.sessions) as session:
            queries.finish_answer(session, request_pk=row.id, key=key, answer=None)
            kind = "refused" if isinstance(exc, Rejected) else "not sent"
            history.record(
                session,
                row.order_id,
                EventKind.REQUEST_ANSWERED,
                f"{row.kind} {row.request_id}: {answer} ({decision}) — {kind}: {exc.message}",
                actor=Actor.TIKTOK,
                at=ctx.clock(),
            )
        if isinstance(exc, Rejected):
            raise EngineError(
                f"TikTok refused to answer request {row.request_id}: {exc.message}"
            ) from exc
        raise EngineError(
            f"Could not reach TikTok to answer request {row.request_id} ({exc.message}). Try "
            "again: the same answer goes with the same key, so TikTok counts it once."
        ) from exc
    with transaction(ctx.sessions) as session:
        queries.finish_answer(
            session, request_pk=row.id, key=key, answer=answer, actor=actor, now=ctx.clock()
        )
        history.record(
            session,
            row.order_id,
            EventKind.REQUEST_ANSWERED,
            f"{row.kind} {row.request_id}: {answer} ({decision})",
            actor=actor,
            at=ctx.clock(),
        )


def _after(ctx: EngineContext, row: AfterSalesRequest) -> AfterSalesRequest:
    """TikTok's view after the answer; an outage now leaves the next fetch to read it."""
    try:
        return reread(ctx, row)
    except MarketplaceError as exc:
        log.warning("request %s answered; re-reading it failed: %s", row.request_id, exc)
        return look_up(ctx, row.request_id)
