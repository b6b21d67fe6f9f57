"""Etsy inventory writes: each journalled as an intent before it is made and finished after,
and those a crash or a lost answer left open reconciled from what Etsy shows now."""

import logging
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from storage import queries
from storage.db import transaction
from storage.models import Order, Reservation, StockIntent
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
from sync.ingest import section_of
from sync.journal import Change, Verdict
from sync.placement import Failure

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Written:
    """Etsy took the new quantities."""


@dataclass(frozen=True)
class Deactivated:
    """Etsy refused to take the listing to zero stock, so it was deactivated instead: its
    units are kept from sale, its quantity was not lowered."""


@dataclass(frozen=True)
class Refused:
    failure: Failure


Outcome = Written | Deactivated | Refused
WRITTEN, DEACTIVATED = Written(), Deactivated()

# An order whose restore completes ends Restored, unless its placement failed (it stays
# Failed with its reason) or was retried meanwhile (it is being placed anew).
RESTORABLE = (Placement.PLACED, Placement.SKIPPED, Placement.RESTOCK, Placement.RESTORED)
# Reservations that hold nothing any more.
ENDED = (ReservationState.RESTORED, ReservationState.ABANDONED)


def journal_intent(
    session: Session,
    ctx: EngineContext,
    *,
    listing_id: int,
    kind: IntentKind,
    inventory: dict,
    changes: list[Change],
    note: str | None = None,
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


def fail_placements(
    session: Session,
    failures: Mapping[int, Failure],
    *,
    expected: Collection[Placement],
    now: datetime,
    tally: Tally,
) -> None:
    """Move each order to Failed with its reason, if it is still in an `expected` placement
    (compare-and-set, one statement for all of them)."""
    failed = queries.move_placements(
        session, order_ids=failures, expected=expected, to=Placement.FAILED
    )
    orders = queries.orders_as_stored(session, order_ids=sorted(failed))
    for order in orders:
        failure = failures[order.id]
        order.failure_reason = failure.reason
        order.failure_detail = failure.detail
        detail = f"{failure.reason}: {failure.detail}"
        history.record(session, order.id, EventKind.PLACEMENT_FAILED, detail, at=now)
        tally.fail(failure.reason)
    move_sections(session, orders, now)


def move_sections(session: Session, orders: list[Order], now: datetime) -> None:
    """Put each of these orders (as just read) in its section; each count moves once."""
    counts: Counter[str] = Counter()
    for order in orders:
        left = queries.move_section(session, order=order, section=section_of(order, now))
        if left:
            counts[left] -= 1
        if left is not None:
            counts[order.section] += 1
    if orders:
        queries.adjust_section_counts(session, shop_id=orders[0].shop_id, deltas=counts)


def apply_intent(ctx: EngineContext, intent_id: int, inventory: dict, tally: Tally) -> None:
    """Make the journalled stock move on Etsy, then finish its intent with what happened."""
    with ctx.sessions() as session:
        intent = session.get(StockIntent, intent_id)
    finish_intent(ctx, intent_id, put_inventory(ctx, intent, inventory), tally)


def put_inventory(ctx: EngineContext, intent: StockIntent, inventory: dict) -> Outcome:
    changes = journal.changes_of(intent)
    try:
        ctx.etsy.update_inventory(intent.listing_id, journal.body_for(inventory, changes))
    except Rejected as exc:
        if intent.kind == IntentKind.RESERVE and journal.empties_listing(inventory, changes):
            return deactivate_instead(ctx, intent.listing_id, exc)
        return Refused(
            Failure(
                FailureReason.ETSY_ERROR,
                f"Etsy refused the stock update of listing {intent.listing_id}: {exc.message}",
            )
        )
    return WRITTEN


def deactivate_instead(ctx: EngineContext, listing_id: int, refusal: Rejected) -> Outcome:
    """Whether Etsy takes a listing to zero stock is undocumented; when it refuses,
    deactivating is what keeps Etsy from selling units TikTok already sold."""
    try:
        ctx.etsy.deactivate_listing(listing_id)
    except (Rejected, AuthFailed) as exc:
        return Refused(
            Failure(
                FailureReason.ETSY_ERROR,
                f"Etsy refused to take listing {listing_id} to zero stock "
                f"({refusal.message}) and to deactivate it ({exc.message})",
            )
        )
    return DEACTIVATED


def finish_intent(ctx: EngineContext, intent_id: int, outcome: Outcome, tally: Tally) -> None:
    """Close an open intent and move its reservations and orders on."""
    now = ctx.clock()
    refused = isinstance(outcome, Refused)
    with transaction(ctx.sessions) as session:
        state = IntentState.FAILED if refused else IntentState.DONE
        intent = queries.close_intent(session, intent_id=intent_id, state=state, now=now)
        if intent is None:
            return  # finished already
        if refused:
            intent.note = outcome.failure.detail
        elif isinstance(outcome, Deactivated):
            intent.note = (
                f"Etsy refused to take listing {intent.listing_id} to zero stock; the "
                "listing was deactivated instead (its quantity was not lowered)"
            )
        reservations = queries.reservations_of_intent(session, intent_id=intent_id)
        order_ids = sorted({r.order_id for r in reservations})
        if intent.kind == IntentKind.RESERVE:
            for reservation in reservations:
                reservation.state = reserved_state(outcome)
            session.flush()
            after_reserve(session, order_ids, outcome, now, tally)
        else:
            for reservation in reservations:
                reservation.state = (
                    ReservationState.RESTORE_FAILED if refused else ReservationState.RESTORED
                )
            session.flush()
            after_restore(session, intent, order_ids, refused, now, tally)


def reserved_state(outcome: Outcome) -> ReservationState:
    if isinstance(outcome, Refused):
        return ReservationState.ABANDONED
    if isinstance(outcome, Deactivated):
        return ReservationState.HELD
    return ReservationState.RESERVED


def after_reserve(
    session: Session, order_ids: list[int], outcome: Outcome, now: datetime, tally: Tally
) -> None:
    if isinstance(outcome, Refused):
        # All or nothing: units already reserved on other listings are given back.
        failures = dict.fromkeys(order_ids, outcome.failure)
        fail_placements(session, failures, expected=(Placement.PLACING,), now=now, tally=tally)
        return
    reservations = queries.reservations_of(session, order_ids=order_ids)
    held: dict[int, list[Reservation]] = {}
    for order_id in order_ids:
        # A retried order's earlier attempt left its reservations given back or abandoned.
        mine = [r for r in reservations[order_id] if r.state not in ENDED]
        if all(r.state in STILL_HELD for r in mine):  # else a write elsewhere is to finish
            held[order_id] = mine
    # The orders all of whose writes are done move on together, each by compare-and-set.
    placed = queries.move_placements(
        session, order_ids=held, expected=(Placement.PLACING,), to=Placement.PLACED
    )
    orders = queries.orders_as_stored(session, order_ids=sorted(placed))
    move_sections(session, orders, now)
    for order in orders:
        tally.placed += 1
        metrics.ORDERS_PLACED.inc()
        where = ", ".join(
            f"{r.etsy_sku} ×{r.units} on listing {r.listing_id}"
            + (
                " (listing deactivated: Etsy refused zero stock)"
                if r.state == ReservationState.HELD
                else ""
            )
            for r in held[order.id]
        )
        history.record(session, order.id, EventKind.PLACED, f"reserved on Etsy: {where}", at=now)


def after_restore(
    session: Session,
    intent: StockIntent,
    order_ids: list[int],
    refused: bool,
    now: datetime,
    tally: Tally,
) -> None:
    reservations = queries.reservations_of(session, order_ids=order_ids)
    for order_id in order_ids:
        if refused:
            detail = (
                f"could not give stock back to listing {intent.listing_id}: "
                f"{intent.note or 'unknown error'}"
            )
            history.record(session, order_id, EventKind.RESTORE_FAILED, detail, at=now)
            continue
        mine = reservations[order_id]
        given = [r for r in mine if r.restore_intent_id == intent.id]
        detail = "gave back on Etsy: " + ", ".join(
            f"{r.etsy_sku} ×{r.units} on listing {r.listing_id}" for r in given
        )
        if intent.note:
            detail += f" — {intent.note}"
        history.record(session, order_id, EventKind.RESTORED, detail, at=now)
        if not any(r.state in (*STILL_HELD, ReservationState.RESTORING) for r in mine):
            queries.move_placement(
                session, order_id=order_id, expected=RESTORABLE, to=Placement.RESTORED
            )
            tally.restored += 1
            metrics.ORDERS_RESTORED.inc()


def reconcile(ctx: EngineContext, tally: Tally) -> None:
    """Finish the writes a crash or a lost answer left open, from what Etsy shows now."""
    with ctx.sessions() as session:
        intents = queries.open_intents(session, shop_id=ctx.shop_id)
    for intent in intents:
        reconcile_intent(ctx, intent, tally)


def reconcile_intent(ctx: EngineContext, intent: StockIntent, tally: Tally) -> None:
    listing_id = intent.listing_id
    try:
        inventory = ctx.etsy.get_inventory(listing_id)
    except Rejected as exc:
        detail = f"Etsy listing {listing_id} can no longer be read: {exc.message}"
        finish_intent(ctx, intent.id, Refused(Failure(FailureReason.ETSY_ERROR, detail)), tally)
        return
    verdict = journal.verdict(intent, inventory)
    log.info("reconciling stock intent %s on listing %s: %s", intent.id, listing_id, verdict)
    if verdict == Verdict.APPLIED:
        finish_intent(ctx, intent.id, WRITTEN, tally)
    elif verdict == Verdict.NOT_APPLIED:
        write_again(ctx, intent, inventory, tally)
    else:
        detail = (
            f"a stock update of Etsy listing {listing_id} could not be confirmed "
            "(the listing changed meanwhile); check its quantities on Etsy"
        )
        finish_intent(ctx, intent.id, Refused(Failure(FailureReason.ETSY_ERROR, detail)), tally)


def write_again(ctx: EngineContext, intent: StockIntent, inventory: dict, tally: Tally) -> None:
    """A write that never landed is made again, re-based on today's quantities."""
    rebased = rebase_for_write(ctx, intent.id, inventory, tally)
    if rebased is not None:
        finish_intent(ctx, intent.id, put_inventory(ctx, rebased, inventory), tally)


def rebase_for_write(
    ctx: EngineContext, intent_id: int, inventory: dict, tally: Tally
) -> StockIntent | None:
    """Re-base an open intent on `inventory` (just read) and return it, ready to write; None
    when it is finished instead (meanwhile, or now: the stock planned is no longer there)."""
    with transaction(ctx.sessions) as session:
        stored = queries.open_intent(session, intent_id=intent_id)
        rebased = stored is not None and journal.rebase(stored, inventory)
    if stored is None:
        return None  # finished meanwhile
    if rebased:
        return stored
    reason = (
        FailureReason.INSUFFICIENT_STOCK
        if stored.kind == IntentKind.RESERVE
        else FailureReason.ETSY_ERROR
    )
    detail = f"Etsy listing {stored.listing_id} no longer has the stock planned"
    finish_intent(ctx, intent_id, Refused(Failure(reason, detail)), tally)
    return None
