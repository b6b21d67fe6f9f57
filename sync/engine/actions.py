"""What people ask of the engine: cancel, retry, map a SKU, restock, look an order up.

Each checks the stored order and records who asked; settling what follows is the caller's.
"""

import logging
from datetime import datetime

from sqlmodel import Session

from storage import queries
from storage.db import transaction
from storage.models import Order
from storage.states import Actor, EventKind, Placement
from sync import history, sections
from sync.engine import cancel_claims
from sync.engine.context import EngineContext
from sync.engine.errors import EngineError, MappingRefused, OrderNotFound
from sync.errors import MarketplaceError, Rejected
from sync.ingest import refresh_section
from sync.skus import Ambiguous, Found

log = logging.getLogger(__name__)


def require_order(ctx: EngineContext, session, tiktok_order_id: str) -> Order:
    order = queries.order_by_tiktok_id(
        session, shop_id=ctx.shop_id, tiktok_order_id=tiktok_order_id
    )
    if order is None:
        raise OrderNotFound(f"No order {tiktok_order_id} is known; run a fetch first?")
    return order


def look_up(ctx: EngineContext, tiktok_order_id: str) -> Order:
    with ctx.sessions() as session:
        return require_order(ctx, session, tiktok_order_id)


def cancel(ctx: EngineContext, tiktok_order_id: str, reason_key: str, *, actor: str) -> None:
    """Cancel on TikTok once, however often asked: a claim row guards the call."""
    claimed_at = take_cancel_claim(ctx, tiktok_order_id, reason_key, actor=actor)
    if claimed_at is None:
        return  # an interrupted request before this one had cancelled it: now recorded
    try:
        result = ctx.tiktok.cancel_order(tiktok_order_id, reason_key)
        outcome = f"TikTok: {result.cancel_status}, id {result.cancel_id}"
    except MarketplaceError as exc:
        # TikTok may have acted and the answer been lost (or a retry met "already
        # cancelled"): the order itself says what happened.
        if not cancelled_on_tiktok(ctx, tiktok_order_id):
            release_cancel_claim(ctx, tiktok_order_id, claimed_at, exc)
            if isinstance(exc, Rejected):
                raise EngineError(
                    f"TikTok refused to cancel order {tiktok_order_id}: {exc.message}"
                ) from exc
            raise EngineError(
                f"Could not cancel order {tiktok_order_id} on TikTok ({exc.message}); "
                "it is not cancelled. Try again in a moment."
            ) from exc
        outcome = "TikTok's answer was lost; the order shows cancelled"
    with transaction(ctx.sessions) as session:
        order = require_order(ctx, session, tiktok_order_id)
        history.record(
            session,
            order.id,
            EventKind.CANCELLED,
            f"{reason_key} ({outcome})",
            actor=actor,
            at=ctx.clock(),
        )


def take_cancel_claim(
    ctx: EngineContext, tiktok_order_id: str, reason_key: str, *, actor: str
) -> datetime | None:
    """When this request took the order's cancel claim; None when a claim left by an
    interrupted request turned out to have cancelled the order (that is recorded now). A
    claim older than a cancel can take is settled first (`cancel_claims`)."""
    for _ in range(2):
        now = ctx.clock()
        with transaction(ctx.sessions) as session:
            order = require_order(ctx, session, tiktok_order_id)
            if order.tiktok_status == sections.CANCELLED:
                raise EngineError(f"Order {tiktok_order_id} is already cancelled.")
            if queries.claim_cancel(session, order_id=order.id, actor=actor, now=now):
                history.record(
                    session, order.id, EventKind.CANCEL_REQUESTED, reason_key, actor=actor, at=now
                )
                return now
            session.refresh(order)
            by, at = order.cancel_requested_by, order.cancel_requested_at
        if at is not None and not cancel_claims.expired(at, now):
            raise EngineError(
                f"Order {tiktok_order_id} is already being cancelled (asked by {by} at "
                f"{at:%Y-%m-%d %H:%M} UTC). If that request never finishes, it is checked "
                f"with TikTok from {at + cancel_claims.CANCEL_CLAIM_EXPIRES_AFTER:%H:%M} UTC."
            )
        if at is not None:
            settled = cancel_claims.settle_one(ctx, tiktok_order_id, now)
            if settled is cancel_claims.Settled.CANCELLED:
                return None
            if settled is cancel_claims.Settled.UNKNOWN:
                raise EngineError(
                    f"Order {tiktok_order_id} has a cancel asked by {by} at "
                    f"{at:%Y-%m-%d %H:%M} UTC that never finished, and TikTok cannot be asked "
                    "now whether it went through. Try again in a moment."
                )
        # The claim is gone (released just now, or by another worker): take it.
    raise EngineError(
        f"Order {tiktok_order_id} is being cancelled by another request; try again in a moment."
    )


def cancelled_on_tiktok(ctx: EngineContext, tiktok_order_id: str) -> bool:
    try:
        orders = ctx.tiktok.get_orders([tiktok_order_id])
    except MarketplaceError:
        return False
    return any(o.id == tiktok_order_id and o.status == sections.CANCELLED for o in orders)


def release_cancel_claim(
    ctx: EngineContext, tiktok_order_id: str, claimed_at: datetime, exc: MarketplaceError
) -> None:
    with transaction(ctx.sessions) as session:
        order = require_order(ctx, session, tiktok_order_id)
        queries.release_cancel_claim(session, order_id=order.id, requested_at=claimed_at)
        history.record(
            session,
            order.id,
            EventKind.CANCEL_REFUSED if isinstance(exc, Rejected) else EventKind.CANCEL_FAILED,
            exc.message,
            actor=Actor.TIKTOK,
            at=ctx.clock(),
        )


def retry(ctx: EngineContext, tiktok_order_id: str, *, actor: str) -> None:
    now = ctx.clock()
    with transaction(ctx.sessions) as session:
        order = require_order(ctx, session, tiktok_order_id)
        if order.placement == Placement.FAILED and queries.held_reservations(
            session, order_id=order.id
        ):
            raise EngineError(
                f"Order {tiktok_order_id} still has units reserved on Etsy from its last "
                "attempt; the next fetch gives them back. Retry after it."
            )
        if not reset_for_retry(session, order.id, actor, now):
            raise EngineError(
                f"Order {tiktok_order_id} has no failed placement to retry "
                f"(it is {sections.Section(order.section).title})."
            )


def reset_for_retry(session: Session, order_id: int, actor: str, now: datetime) -> bool:
    """Make a failed placement pending again, if it is one as stored now and none of its
    units are still off Etsy's shelf (placing it again would take them twice)."""
    if queries.held_reservations(session, order_id=order_id):
        return False
    if not queries.move_placement(
        session,
        order_id=order_id,
        expected=(Placement.FAILED,),
        to=Placement.PENDING,
        failure_reasons=sections.PLACEMENT_FAILURES,
    ):
        return False
    order = queries.order_as_stored(session, order_id=order_id)
    order.failure_reason = None
    order.failure_detail = None
    refresh_section(session, order, now, reread=False)
    history.record(session, order_id, EventKind.RETRY, actor=actor, at=now)
    return True


def check_mappable(ctx: EngineContext, etsy_sku: str) -> None:
    """Refuse an Etsy SKU that orderbot could not place on: on no listing of the index, on
    several, or on products of one listing without one stock level."""
    found = ctx.skus.lookup(etsy_sku)
    if isinstance(found, Found):
        return
    suggestions = ctx.skus.nearest(etsy_sku)
    nearest = (
        f" Nearest Etsy SKUs: {', '.join(suggestions)}."
        if suggestions
        else " No Etsy SKU of the shop is close to it."
    )
    if isinstance(found, Ambiguous):
        why = f"{found.why}, so orderbot could not tell which stock to take."
    else:
        why = f"No Etsy listing of the shop has SKU {etsy_sku}."
    raise MappingRefused(f"Not mapped: {why}{nearest}")


def map_sku(ctx: EngineContext, tiktok_sku: str, etsy_sku: str, *, actor: str) -> list[str]:
    """Record a mapping to a SKU orderbot can place on, then reset the orders that failed on
    that SKU; returns the ids of those this call reset. A refused SKU changes nothing."""
    check_mappable(ctx, etsy_sku)
    now = ctx.clock()
    with transaction(ctx.sessions) as session:
        queries.put_sku_mapping(
            session,
            shop_id=ctx.shop_id,
            tiktok_sku=tiktok_sku,
            etsy_sku=etsy_sku,
            actor=actor,
            now=now,
        )
        ids = queries.failed_order_ids_for_sku(session, shop_id=ctx.shop_id, tiktok_sku=tiktok_sku)
        # Only those this request moved: the same mapping asked twice retries them once.
        retried = [order_id for order_id in ids if reset_for_retry(session, order_id, actor, now)]
        return [session.get(Order, order_id).tiktok_order_id for order_id in retried]


def unmap_sku(ctx: EngineContext, tiktok_sku: str, *, actor: str) -> str:
    """Remove a mapping; returns the Etsy SKU it pointed at."""
    with transaction(ctx.sessions) as session:
        removed = queries.delete_sku_mapping(session, shop_id=ctx.shop_id, tiktok_sku=tiktok_sku)
        if removed is None:
            raise EngineError(
                f"No mapping for TikTok SKU {tiktok_sku}; /orders map lists the mappings."
            )
        etsy_sku = removed.etsy_sku
    log.info("sku mapping %s -> %s removed by %s", tiktok_sku, etsy_sku, actor)
    return etsy_sku


def restock(ctx: EngineContext, tiktok_order_id: str, *, actor: str) -> None:
    """Ask for the units of an order whose delivery failed back (the parcel came back)."""
    now = ctx.clock()
    with transaction(ctx.sessions) as session:
        order = require_order(ctx, session, tiktok_order_id)
        if not queries.move_placement(
            session,
            order_id=order.id,
            expected=(Placement.PLACED,),
            to=Placement.RESTOCK,
            failure_reasons=sections.DELIVERY_FAILURES,
        ):
            raise EngineError(f"Order {tiktok_order_id} has no reserved stock to give back.")
        history.record(session, order.id, EventKind.RESTOCK, actor=actor, at=now)
