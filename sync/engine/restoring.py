"""Giving stock back: why TikTok cancelled, what is owed back, and what cannot be given back.

Reservations move by compare-and-set: a restore journals only the units still reserved when
it is written.
"""

import logging
from collections import defaultdict

from storage import queries
from storage.db import transaction
from storage.models import Reservation
from storage.states import Actor, EventKind, IntentKind, ReservationState
from sync import history, sections
from sync.engine.context import EngineContext
from sync.engine.results import Tally
from sync.engine.stock_writes import WRITTEN, apply_intent, finish_intent, journal_intent
from sync.errors import Rejected
from sync.ingest import refresh_section
from sync.journal import Change
from sync.pools import Pool, ambiguity, pools
from sync.tiktok import effective_cancellations

log = logging.getLogger(__name__)

REASONS_PER_SETTLE = 500
ORDER_IDS_PER_SEARCH = 50  # Search Cancellations is asked about this many orders at a time
RESTORES_PER_SETTLE = 2000


class ReservationsMoved(Exception):
    """Reservations to be given back were moved by someone else since they were read."""


def resolve_cancel_reasons(ctx: EngineContext) -> None:
    """Learn why TikTok's system cancelled an order: only the reason KEY says whether the
    delivery failed (display text may be localised)."""
    with ctx.sessions() as session:
        orders = queries.cancelled_without_reason(
            session, shop_id=ctx.shop_id, limit=REASONS_PER_SETTLE
        )
        waiting = {order.tiktok_order_id: order.id for order in orders}
    if not waiting:
        return
    found = {}
    ids = list(waiting)
    for start in range(0, len(ids), ORDER_IDS_PER_SEARCH):
        records = ctx.tiktok.search_cancellations(
            order_ids=ids[start : start + ORDER_IDS_PER_SEARCH]
        )
        found.update(effective_cancellations(records))
    now = ctx.clock()
    with transaction(ctx.sessions) as session:
        for tiktok_order_id, order_id in waiting.items():
            cancellation = found.get(tiktok_order_id)
            key = (cancellation.cancel_reason if cancellation else None) or ""
            if not queries.claim_cancel_reason(session, order_id=order_id, reason_key=key):
                continue  # learned meanwhile
            order = queries.order_as_stored(session, order_id=order_id)
            if cancellation and cancellation.role and not order.cancel_initiator:
                order.cancel_initiator = cancellation.role
            failed = sections.delivery_failure(key)
            if failed:
                order.failure_reason = failed
                order.failure_detail = (
                    f"TikTok cancelled the order: {cancellation.cancel_reason_text or failed}"
                )
                detail = (
                    f"{failed} ({key}); stock is not given back automatically — restock when "
                    "the parcel is back"
                )
                history.record(
                    session, order.id, EventKind.DELIVERY_FAILED, detail, actor=Actor.TIKTOK, at=now
                )
            refresh_section(session, order, now, reread=False)


def restore_owed(ctx: EngineContext, tally: Tally) -> None:
    """Give back the units of orders that no longer need them, one write per listing."""
    with ctx.sessions() as session:
        owed = queries.reservations_owed_back(
            session, shop_id=ctx.shop_id, limit=RESTORES_PER_SETTLE
        )
    by_listing: dict[int, list[Reservation]] = defaultdict(list)
    for reservation in owed:
        by_listing[reservation.listing_id].append(reservation)
    for listing_id, reservations in by_listing.items():
        deactivated = [r for r in reservations if r.state == ReservationState.HELD]
        if deactivated:
            release_deactivated(ctx, listing_id, deactivated, tally)
        reserved = [r for r in reservations if r.state == ReservationState.RESERVED]
        if reserved:
            give_back(ctx, listing_id, reserved, tally)


def give_back(
    ctx: EngineContext, listing_id: int, reservations: list[Reservation], tally: Tally
) -> None:
    try:
        inventory = ctx.etsy.get_inventory(listing_id)
    except Rejected as exc:
        # The listing is gone or refused: nothing to give back to automatically.
        restore_failed(ctx, reservations, f"Etsy listing {listing_id}: {exc.message}")
        return
    changes, without_level = restore_changes(listing_id, inventory, reservations)
    if without_level:
        why = f"its SKU no longer has one stock level on Etsy listing {listing_id}"
        restore_failed(ctx, without_level, why)
    if not changes:
        return
    without_level_ids = {r.id for r in without_level}
    giving = [r for r in reservations if r.id not in without_level_ids]
    intent_id = journal_restore(ctx, listing_id, inventory, changes, giving)
    if intent_id is not None:
        apply_intent(ctx, intent_id, inventory, tally)


def restore_changes(
    listing_id: int, inventory: dict, reservations: list[Reservation]
) -> tuple[list[Change], list[Reservation]]:
    """One change per pool the units go back to, and the reservations whose SKU has no
    single stock level on the listing any more."""
    by_sku = pools(inventory)
    units: dict[frozenset, int] = defaultdict(int)
    drawn: dict[frozenset, Pool] = {}
    without_level = []
    for reservation in reservations:
        pool = by_sku.get(reservation.etsy_sku)
        if pool is None or ambiguity(listing_id, reservation.etsy_sku, pool):
            without_level.append(reservation)
            continue
        units[pool.id] += reservation.units
        drawn[pool.id] = pool
    changes = sorted(
        (
            Change(pool.skus[0], pool.quantity, pool.quantity + units[pool_id])
            for pool_id, pool in drawn.items()
        ),
        key=lambda change: change.sku,
    )
    return changes, without_level


def journal_restore(
    ctx: EngineContext,
    listing_id: int,
    inventory: dict,
    changes: list[Change],
    reservations: list[Reservation],
    *,
    expected: ReservationState = ReservationState.RESERVED,
    note: str | None = None,
) -> int | None:
    """Journal giving these reservations back; None (nothing stored) if any of them moved
    since they were read: the next settle plans again from what is stored."""
    try:
        with transaction(ctx.sessions) as session:
            intent = journal_intent(
                session,
                ctx,
                listing_id=listing_id,
                kind=IntentKind.RESTORE,
                inventory=inventory,
                changes=changes,
                note=note,
            )
            moved = queries.move_reservations(
                session,
                reservation_ids=[r.id for r in reservations],
                expected=expected,
                to=ReservationState.RESTORING,
                restore_intent_id=intent.id,
            )
            if moved != len(reservations):
                raise ReservationsMoved()
            return intent.id
    except ReservationsMoved:
        log.warning("reservations on listing %s moved meanwhile; not given back now", listing_id)
        return None


def restore_failed(ctx: EngineContext, reservations: list[Reservation], why: str) -> None:
    now = ctx.clock()
    with transaction(ctx.sessions) as session:
        for reservation in reservations:
            if queries.move_reservations(
                session,
                reservation_ids=[reservation.id],
                expected=ReservationState.RESERVED,
                to=ReservationState.RESTORE_FAILED,
            ):
                detail = (
                    f"could not give back {reservation.etsy_sku} ×{reservation.units}: "
                    f"{why}; give it back on Etsy by hand"
                )
                history.record(
                    session, reservation.order_id, EventKind.RESTORE_FAILED, detail, at=now
                )


def release_deactivated(
    ctx: EngineContext, listing_id: int, reservations: list[Reservation], tally: Tally
) -> None:
    """Units kept from sale by deactivating their listing were never taken off its quantity:
    giving them back writes nothing, and re-activating the listing stays the seller's call."""
    note = (
        f"listing {listing_id} stays inactive: re-activate it on Etsy when you are ready "
        "(re-activating can renew the listing, which Etsy charges for)"
    )
    intent_id = journal_restore(
        ctx,
        listing_id,
        {"products": []},
        [],
        reservations,
        expected=ReservationState.HELD,
        note=note,
    )
    if intent_id is not None:
        finish_intent(ctx, intent_id, WRITTEN, tally)
