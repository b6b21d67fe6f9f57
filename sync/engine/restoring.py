"""Giving stock back: why TikTok cancelled, what is owed back, and what cannot be given back."""

from collections import defaultdict

from storage import queries
from storage.db import transaction
from storage.models import Reservation
from storage.states import Actor, EventKind, IntentKind, ReservationState
from sync import history, sections
from sync.engine.context import EngineContext
from sync.engine.results import Tally
from sync.engine.stock_writes import finish_intent, open_intent, write_intent
from sync.errors import Rejected
from sync.ingest import refresh_section
from sync.journal import Change
from sync.pools import Pool, ambiguity, pools
from sync.tiktok import effective_cancellations


def resolve_cancel_reasons(ctx: EngineContext) -> None:
    """Learn why TikTok's system cancelled an order: only the reason KEY says whether the
    delivery failed (display text may be localised)."""
    with ctx.sessions() as session:
        orders = queries.cancelled_without_reason(session, shop_id=ctx.shop_id, limit=500)
    if not orders:
        return
    found = {}
    ids = [order.tiktok_order_id for order in orders]
    for start in range(0, len(ids), 50):
        records = ctx.tiktok.search_cancellations(order_ids=ids[start : start + 50])
        found.update(effective_cancellations(records))
    now = ctx.clock()
    with transaction(ctx.sessions) as session:
        for order in orders:
            session.add(order)
            cancellation = found.get(order.tiktok_order_id)
            order.cancel_reason_key = (cancellation.cancel_reason if cancellation else None) or ""
            if cancellation and cancellation.role and not order.cancel_initiator:
                order.cancel_initiator = cancellation.role
            failed = sections.delivery_failure(order.cancel_reason_key)
            if failed:
                order.failure_reason = failed
                order.failure_detail = (
                    f"TikTok cancelled the order: {cancellation.cancel_reason_text or failed}"
                )
                history.record(
                    session,
                    order.id,
                    EventKind.DELIVERY_FAILED,
                    f"{failed} ({order.cancel_reason_key}); stock is not given back "
                    "automatically — restock when the parcel is back",
                    actor=Actor.TIKTOK,
                    at=now,
                )
            refresh_section(session, order, now)


def restore_owed(ctx: EngineContext, tally: Tally) -> None:
    with ctx.sessions() as session:
        owed = queries.reservations_owed_back(session, shop_id=ctx.shop_id, limit=2000)
    by_listing: dict[int, list[Reservation]] = defaultdict(list)
    for reservation in owed:
        by_listing[reservation.listing_id].append(reservation)
    for listing_id, all_reservations in by_listing.items():
        held = [r for r in all_reservations if r.state == ReservationState.HELD]
        if held:
            release_held(ctx, listing_id, held, tally)
        reservations = [r for r in all_reservations if r.state == ReservationState.RESERVED]
        if not reservations:
            continue
        try:
            inventory = ctx.etsy.get_inventory(listing_id)
        except Rejected as exc:
            # The listing is gone or refused: nothing to give back to automatically.
            restore_failed(ctx, reservations, f"Etsy listing {listing_id}: {exc.message}")
            continue
        by_sku = pools(inventory)
        units: dict[frozenset, int] = defaultdict(int)
        drawn: dict[frozenset, Pool] = {}
        unknown = set()
        for reservation in reservations:
            pool = by_sku.get(reservation.etsy_sku)
            if pool is None or ambiguity(listing_id, reservation.etsy_sku, pool):
                unknown.add(reservation.etsy_sku)
                continue
            units[pool.id] += reservation.units
            drawn[pool.id] = pool
        if unknown:
            restore_failed(
                ctx,
                [r for r in reservations if r.etsy_sku in unknown],
                f"its SKU no longer has one stock level on Etsy listing {listing_id}",
            )
        changes = sorted(
            (
                Change(pool.skus[0], pool.quantity, pool.quantity + units[pool_id])
                for pool_id, pool in drawn.items()
            ),
            key=lambda change: change.sku,
        )
        if not changes:
            continue
        with transaction(ctx.sessions) as session:
            intent = open_intent(ctx, session, listing_id, IntentKind.RESTORE, inventory, changes)
            for reservation in reservations:
                if reservation.etsy_sku not in unknown:
                    session.add(reservation)
                    reservation.state = ReservationState.RESTORING
                    reservation.restore_intent_id = intent.id
            intent_id = intent.id
        write_intent(ctx, intent_id, inventory, tally)


def restore_failed(ctx: EngineContext, reservations: list[Reservation], why: str) -> None:
    now = ctx.clock()
    with transaction(ctx.sessions) as session:
        for reservation in reservations:
            session.add(reservation)
            reservation.state = ReservationState.RESTORE_FAILED
            history.record(
                session,
                reservation.order_id,
                EventKind.RESTORE_FAILED,
                f"could not give back {reservation.etsy_sku} ×{reservation.units}: "
                f"{why}; give it back on Etsy by hand",
                at=now,
            )


def release_held(
    ctx: EngineContext, listing_id: int, held: list[Reservation], tally: Tally
) -> None:
    """Units held by deactivating a listing were never taken off its quantity: giving
    them back writes nothing, and re-activating the listing stays the seller's call."""
    with transaction(ctx.sessions) as session:
        intent = open_intent(
            ctx,
            session,
            listing_id,
            IntentKind.RESTORE,
            {"products": []},
            [],
            note=f"listing {listing_id} stays inactive: re-activate it on Etsy when you are "
            "ready (re-activating can renew the listing, which Etsy charges for)",
        )
        for reservation in held:
            session.add(reservation)
            reservation.state = ReservationState.RESTORING
            reservation.restore_intent_id = intent.id
        intent_id = intent.id
    finish_intent(ctx, intent_id, ok=True, tally=tally)
