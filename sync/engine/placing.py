"""Placing a batch of pending orders: reserve their units on Etsy, all or nothing per order."""

import logging
from collections import defaultdict
from datetime import timedelta

from storage import queries
from storage.db import transaction
from storage.models import Reservation
from storage.states import FailureReason, IntentKind, Placement, ReservationState
from sync.engine.context import EngineContext
from sync.engine.results import Tally
from sync.engine.stock_writes import fail, open_intent, write_intent
from sync.errors import Rejected
from sync.journal import Change
from sync.placement import (
    Failure,
    PoolKey,
    Stock,
    Take,
    allocate,
    component_sku_ids,
    missing_skus,
    needs_of,
    resolve,
)
from sync.pools import Pool

log = logging.getLogger(__name__)

# An index missing an order's SKU is built anew unless it is this fresh (a SKU that is not on
# Etsy must not cost a rebuild per batch).
REBUILD_FOR_MISSING = timedelta(seconds=30)


def place_batch(ctx: EngineContext, order_ids: list[int], tally: Tally) -> None:
    now = ctx.clock()
    with ctx.sessions() as session:
        orders = queries.pending_orders(session, order_ids=order_ids)
        lines = queries.lines_of(session, order_ids=[order.id for order in orders])
        mappings = queries.sku_mappings(session, shop_id=ctx.shop_id)
        known = queries.seller_skus_for(
            session, sku_ids=component_sku_ids(line for ls in lines.values() for line in ls)
        )
    needs = {order.id: needs_of(lines[order.id], mappings, known) for order in orders}
    index = ctx.skus.get()
    if any(missing_skus(n, index) for n in needs.values()):
        index = ctx.skus.get(max_age=REBUILD_FOR_MISSING)  # a new listing or SKU since?

    outcome: dict[int, list[Take] | Failure] = {}
    for order in orders:
        outcome[order.id] = resolve(needs[order.id], index)
    stock = Stock()
    for listing_id in sorted(
        {t.listing_id for r in outcome.values() if isinstance(r, list) for t in r}
    ):
        try:
            stock.add_inventory(listing_id, ctx.etsy.get_inventory(listing_id))
        except Rejected as exc:
            log.warning("listing %s unreadable: %s", listing_id, exc)
    working: dict[PoolKey, int] = {}
    for order in orders:
        takes = outcome[order.id]
        if isinstance(takes, list):
            unreadable = [t.listing_id for t in takes if t.listing_id not in stock.inventories]
            if unreadable:
                outcome[order.id] = Failure(
                    FailureReason.ETSY_ERROR, f"Etsy listing {unreadable[0]} could not be read"
                )
                continue
            failure = allocate(takes, stock, working)
            if failure:
                outcome[order.id] = failure

    intents: list[tuple[int, dict]] = []
    with transaction(ctx.sessions) as session:
        # Per listing, the pools this batch draws from: one change per pool.
        by_listing: dict[int, dict[frozenset, Pool]] = defaultdict(dict)
        for order in orders:
            session.add(order)
            result = outcome[order.id]
            if isinstance(result, Failure):
                fail(session, order, result, now)
                tally.fail(result.reason)
                continue
            order.placement = Placement.PLACING
            for take in result:
                pool = stock.pools[(take.listing_id, take.need.etsy_sku)]
                by_listing[take.listing_id][pool.id] = pool
        for listing_id, drawn in by_listing.items():
            inventory = stock.inventories[listing_id]
            changes = sorted(
                (
                    Change(pool.skus[0], pool.quantity, working[(listing_id, pool_id)])
                    for pool_id, pool in drawn.items()
                ),
                key=lambda change: change.sku,
            )
            intent = open_intent(ctx, session, listing_id, IntentKind.RESERVE, inventory, changes)
            intents.append((intent.id, inventory))
            for order in orders:
                result = outcome[order.id]
                if isinstance(result, Failure):
                    continue
                for take in result:
                    if take.listing_id == listing_id:
                        session.add(
                            Reservation(
                                order_id=order.id,
                                line_id=take.need.line_id,
                                tiktok_sku=take.need.tiktok_sku,
                                etsy_sku=take.need.etsy_sku,
                                listing_id=listing_id,
                                units=take.need.units,
                                state=ReservationState.PLANNED,
                                reserve_intent_id=intent.id,
                            )
                        )
    for intent_id, inventory in intents:
        write_intent(ctx, intent_id, inventory, tally)
