"""Etsy inventory writes: journal, write, finish; and reconciling writes left unfinished."""

import logging
from datetime import datetime

from storage import queries
from storage.db import transaction
from storage.models import Order, StockIntent
from storage.states import (
    STILL_HELD,
    EventKind,
    FailureReason,
    IntentKind,
    IntentState,
    Placement,
    ReservationState,
)
from sync import history, journal, metrics
from sync.engine.context import EngineContext
from sync.engine.results import Tally
from sync.errors import AuthFailed, Rejected
from sync.ingest import refresh_section
from sync.journal import Verdict
from sync.placement import Failure

log = logging.getLogger(__name__)


def open_intent(
    ctx: EngineContext, session, listing_id: int, kind: str, inventory: dict, changes, note=None
) -> StockIntent:
    """Journal a stock move before it is made (the caller's transaction commits it)."""
    intent = journal.new_intent(
        shop_id=ctx.shop_id,
        listing_id=listing_id,
        kind=kind,
        inventory=inventory,
        changes=changes,
        now=ctx.clock(),
    )
    intent.note = note
    session.add(intent)
    session.flush()
    return intent


def fail(session, order: Order, failure: Failure, now: datetime) -> None:
    order.placement = Placement.FAILED
    order.failure_reason = failure.reason
    order.failure_detail = failure.detail
    refresh_section(session, order, now)
    history.record(
        session, order.id, EventKind.PLACEMENT_FAILED, f"{failure.reason}: {failure.detail}", at=now
    )


def write_intent(ctx: EngineContext, intent_id: int, inventory: dict, tally: Tally) -> None:
    with ctx.sessions() as session:
        intent = session.get(StockIntent, intent_id)
    changes = journal.changes_of(intent)
    try:
        ctx.etsy.update_inventory(intent.listing_id, journal.body_for(inventory, changes))
    except Rejected as exc:
        if intent.kind == IntentKind.RESERVE and journal.empties_listing(inventory, changes):
            # Whether Etsy takes a listing to zero stock is undocumented; when it refuses,
            # deactivating is what keeps Etsy from selling units TikTok already sold.
            try:
                ctx.etsy.deactivate_listing(intent.listing_id)
            except (Rejected, AuthFailed) as refused:
                failure = Failure(
                    FailureReason.ETSY_ERROR,
                    f"Etsy refused to take listing {intent.listing_id} to zero stock "
                    f"({exc.message}) and to deactivate it ({refused.message})",
                )
                finish_intent(ctx, intent_id, ok=False, failure=failure, tally=tally)
                return
            finish_intent(ctx, intent_id, ok=True, tally=tally, held=True)
            return
        finish_intent(
            ctx,
            intent_id,
            ok=False,
            failure=Failure(
                FailureReason.ETSY_ERROR,
                f"Etsy refused the stock update of listing {intent.listing_id}: {exc.message}",
            ),
            tally=tally,
        )
        return
    finish_intent(ctx, intent_id, ok=True, tally=tally)


def finish_intent(
    ctx: EngineContext,
    intent_id: int,
    *,
    ok: bool,
    tally: Tally,
    failure: Failure | None = None,
    held: bool = False,
) -> None:
    """Close an intent and move its reservations and orders on. `held`: the units were
    kept from sale by deactivating the listing, not by lowering its quantity."""
    now = ctx.clock()
    with transaction(ctx.sessions) as session:
        intent = session.get(StockIntent, intent_id)
        if intent.state != IntentState.PENDING:
            return
        intent.state = IntentState.DONE if ok else IntentState.FAILED
        intent.finished_at = now
        if failure:
            intent.note = failure.detail
        reservations = queries.reservations_of_intent(session, intent_id=intent_id)
        order_ids = sorted({r.order_id for r in reservations})
        if held:
            intent.note = (
                f"Etsy refused to take listing {intent.listing_id} to zero stock; the "
                "listing was deactivated instead (its quantity was not lowered)"
            )
        if intent.kind == IntentKind.RESERVE:
            for reservation in reservations:
                if not ok:
                    reservation.state = ReservationState.ABANDONED
                elif held:
                    reservation.state = ReservationState.HELD
                else:
                    reservation.state = ReservationState.RESERVED
            session.flush()
            after_reserve(session, order_ids, ok, failure, now, tally)
        else:
            for reservation in reservations:
                reservation.state = (
                    ReservationState.RESTORED if ok else ReservationState.RESTORE_FAILED
                )
            session.flush()
            after_restore(session, intent, order_ids, ok, now, tally)


def after_reserve(session, order_ids, ok, failure, now, tally: Tally) -> None:
    all_reservations = queries.reservations_of(session, order_ids=order_ids)
    for order_id in order_ids:
        order = session.get(Order, order_id)
        if order.placement != Placement.PLACING:
            continue
        mine = all_reservations[order_id]
        if not ok:
            # All or nothing: units already reserved on other listings are given back.
            fail(session, order, failure, now)
            tally.fail(failure.reason)
            continue
        if all(r.state in STILL_HELD for r in mine):
            order.placement = Placement.PLACED
            refresh_section(session, order, now)
            tally.placed += 1
            metrics.ORDERS_PLACED.inc()
            where = ", ".join(
                f"{r.etsy_sku} ×{r.units} on listing {r.listing_id}"
                + (
                    " (listing deactivated: Etsy refused zero stock)"
                    if r.state == ReservationState.HELD
                    else ""
                )
                for r in mine
            )
            history.record(
                session, order.id, EventKind.PLACED, f"reserved on Etsy: {where}", at=now
            )


def after_restore(session, intent, order_ids, ok, now, tally: Tally) -> None:
    all_reservations = queries.reservations_of(session, order_ids=order_ids)
    for order_id in order_ids:
        order = session.get(Order, order_id)
        mine = all_reservations[order_id]
        if not ok:
            history.record(
                session,
                order.id,
                EventKind.RESTORE_FAILED,
                f"could not give stock back to listing {intent.listing_id}: "
                f"{intent.note or 'unknown error'}",
                at=now,
            )
            continue
        given = [r for r in mine if r.restore_intent_id == intent.id]
        detail = "gave back on Etsy: " + ", ".join(
            f"{r.etsy_sku} ×{r.units} on listing {r.listing_id}" for r in given
        )
        if intent.note:
            detail += f" — {intent.note}"
        history.record(session, order.id, EventKind.RESTORED, detail, at=now)
        if not any(r.state in (*STILL_HELD, ReservationState.RESTORING) for r in mine):
            if order.placement != Placement.FAILED:
                order.placement = Placement.RESTORED
            tally.restored += 1
            metrics.ORDERS_RESTORED.inc()


def reconcile(ctx: EngineContext, tally: Tally) -> None:
    with ctx.sessions() as session:
        intents = queries.open_intents(session, shop_id=ctx.shop_id)
    for intent in intents:
        try:
            inventory = ctx.etsy.get_inventory(intent.listing_id)
        except Rejected as exc:
            detail = f"Etsy listing {intent.listing_id} can no longer be read: {exc.message}"
            finish_intent(
                ctx,
                intent.id,
                ok=False,
                tally=tally,
                failure=Failure(FailureReason.ETSY_ERROR, detail),
            )
            continue
        verdict = journal.verdict(intent, inventory)
        log.info(
            "reconciling stock intent %s on listing %s: %s",
            intent.id,
            intent.listing_id,
            verdict,
        )
        if verdict == Verdict.APPLIED:
            finish_intent(ctx, intent.id, ok=True, tally=tally)
        elif verdict == Verdict.NOT_APPLIED:
            with transaction(ctx.sessions) as session:
                stored = queries.open_intent(session, intent_id=intent.id)
                rebased = stored is not None and journal.rebase(stored, inventory)
            if stored is None:
                continue  # finished meanwhile
            if not rebased:
                reason = (
                    FailureReason.INSUFFICIENT_STOCK
                    if intent.kind == IntentKind.RESERVE
                    else FailureReason.ETSY_ERROR
                )
                detail = f"Etsy listing {intent.listing_id} no longer has the stock planned"
                finish_intent(
                    ctx, intent.id, ok=False, tally=tally, failure=Failure(reason, detail)
                )
                continue
            write_intent(ctx, intent.id, inventory, tally)
        else:
            detail = (
                f"a stock update of Etsy listing {intent.listing_id} could not be confirmed "
                "(the listing changed meanwhile); check its quantities on Etsy"
            )
            finish_intent(
                ctx,
                intent.id,
                ok=False,
                tally=tally,
                failure=Failure(FailureReason.ETSY_ERROR, detail),
            )
