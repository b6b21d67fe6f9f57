"""Placing a batch of pending orders on Etsy: load what they need, plan (pure, in
sync/placement.py), journal the plan, then write it, one inventory write per listing.

The journal step moves each order by compare-and-set: an order that moved on since it was
loaded (a webhook refresh cancelled it, say) is left as it is, and its units are not taken.
"""

import logging

from sqlmodel import Session

from storage import queries
from storage.db import transaction
from storage.models import Reservation
from storage.states import IntentKind, Placement, ReservationState
from sync.engine.context import EngineContext
from sync.engine.results import Tally
from sync.engine.stock_writes import apply_intent, fail_placement, journal_intent
from sync.errors import Rejected
from sync.placement import (
    BatchPlan,
    Need,
    Take,
    component_sku_ids,
    listings_wanted,
    needs_of,
    plan_batch,
)

log = logging.getLogger(__name__)


def place_batch(ctx: EngineContext, order_ids: list[int], tally: Tally) -> None:
    needs = load_needs(ctx, order_ids)
    wanted = {need.etsy_sku for ns in needs.values() for need in ns if need.etsy_sku}
    index = ctx.skus.index_for(wanted, tally.index)
    plan = plan_batch(needs, index, read_inventories(ctx, listings_wanted(needs, index)))
    for intent_id, inventory in journal_batch(ctx, plan, tally):
        apply_intent(ctx, intent_id, inventory, tally)


def load_needs(ctx: EngineContext, order_ids: list[int]) -> dict[int, list[Need]]:
    """What each of these orders still pending needs, oldest first."""
    with ctx.sessions() as session:
        orders = queries.pending_orders(session, order_ids=order_ids)
        lines = queries.lines_of(session, order_ids=[order.id for order in orders])
        mappings = queries.sku_mappings(session, shop_id=ctx.shop_id)
        seller_skus = queries.seller_skus_for(
            session, sku_ids=component_sku_ids(line for ls in lines.values() for line in ls)
        )
    return {order.id: needs_of(lines[order.id], mappings, seller_skus) for order in orders}


def read_inventories(ctx: EngineContext, listing_ids: list[int]) -> dict[int, dict]:
    """Each listing's inventory as Etsy has it now; one Etsy refuses is left out."""
    inventories = {}
    for listing_id in listing_ids:
        try:
            inventories[listing_id] = ctx.etsy.get_inventory(listing_id)
        except Rejected as exc:
            log.warning("listing %s unreadable: %s", listing_id, exc)
    return inventories


def journal_batch(ctx: EngineContext, plan: BatchPlan, tally: Tally) -> list[tuple[int, dict]]:
    """Store the plan: failures, and for the orders that fit one intent per listing with
    their reservations. Returns the intents to write, with the inventory each was planned on."""
    now = ctx.clock()
    intents = []
    with transaction(ctx.sessions) as session:
        for order_id, failure in plan.failures().items():
            if fail_placement(session, order_id, failure, expected=(Placement.PENDING,), now=now):
                tally.fail(failure.reason)
        placing = {
            order_id
            for order_id in plan.fitting()
            if queries.move_placement(
                session, order_id=order_id, expected=(Placement.PENDING,), to=Placement.PLACING
            )
        }
        for listing_id, changes in plan.changes(placing).items():
            inventory = plan.stock.inventories[listing_id]
            intent = journal_intent(
                session,
                ctx,
                listing_id=listing_id,
                kind=IntentKind.RESERVE,
                inventory=inventory,
                changes=changes,
            )
            for order_id, take in plan.takes_on(listing_id, placing):
                add_reservation(session, order_id, take, intent.id)
            intents.append((intent.id, inventory))
    return intents


def add_reservation(session: Session, order_id: int, take: Take, intent_id: int) -> None:
    session.add(
        Reservation(
            order_id=order_id,
            line_id=take.need.line_id,
            tiktok_sku=take.need.tiktok_sku,
            etsy_sku=take.need.etsy_sku,
            listing_id=take.listing_id,
            units=take.need.units,
            state=ReservationState.PLANNED,
            reserve_intent_id=intent_id,
        )
    )
