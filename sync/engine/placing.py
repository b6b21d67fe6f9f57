"""Placing every pending order on Etsy with one inventory write per listing they touch.

1. Scan: the pending orders, in chunks of `ctx.batch_size` (oldest first, the orders stay in
   the database), give the listings they draw on.
2. Read those listings, up to 100 per call (getListingsByListingIds with their inventory).
3. Plan and journal chunk by chunk (`sync.placement.Planner`, pure, carries each pool's stock
   from chunk to chunk): each chunk's orders move by compare-and-set (one that moved on since
   it was loaded, say a webhook refresh cancelled it, is left as it is and its units are not
   taken), and their reservations join ONE intent per listing, created at the listing's first
   touch and extended chunk by chunk in the same transaction as the reservations. A crash
   between chunks leaves intents whose planned changes are exactly their reservations', with
   nothing written: reconciling writes them (`stock_writes.reconcile`).
4. Write: listings in groups of `WRITE_GROUP`; each group is read again just before its
   writes, every intent re-based on those quantities (as a reconcile would: the units taken
   stay the same, sales Etsy made since the planning read are kept), then written by a small
   pool of threads under the client's rate limiter. The PUT replaces the whole inventory, so
   the window in which an Etsy-side sale could be overwritten is from that read to the write:
   at most about two groups of writes (~2 s at 10 calls/s), not the whole settle. Reads per
   settle: one per 100 listings to plan, one per group to write; always fewer than writes.
"""

import logging
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed

from storage import queries
from storage.db import transaction
from storage.models import StockIntent
from storage.states import FailureReason, IntentKind, Placement, ReservationState
from sync import journal
from sync.engine.context import EngineContext
from sync.engine.results import Tally
from sync.engine.stock_writes import (
    Outcome,
    Refused,
    fail_placements,
    finish_intent,
    journal_intent,
    put_inventory,
    rebase_for_write,
)
from sync.errors import MarketplaceError, Rejected
from sync.etsy.client import MAX_BATCH
from sync.placement import (
    BatchPlan,
    Failure,
    Need,
    Planner,
    Take,
    component_sku_ids,
    listings_wanted,
    needs_of,
)

log = logging.getLogger(__name__)

WRITE_GROUP = 10  # listings read together just before their writes
WRITERS = 4  # Etsy calls in flight: 150 ms each at 10/s needs 2; a few more absorb jitter


def place_pending(ctx: EngineContext, tally: Tally, renew: Callable[[], None]) -> None:
    """Place every order pending now; `renew` keeps the stock lease between steps."""
    planner = Planner()
    read_into(ctx, planner, sorted(listings_touched(ctx, tally)))
    intents: dict[int, int] = {}  # listing id -> its reserve intent in this settle
    for chunk in pending_chunks(ctx):
        needs = load_needs(ctx, chunk)
        index = ctx.skus.index_for(skus_of(needs), tally.index)
        # Orders that became pending since the scan may draw on listings not read yet.
        unread = [i for i in listings_wanted(needs, index) if i not in planner.tried]
        if unread:
            read_into(ctx, planner, unread)
        journal_chunk(ctx, planner, planner.plan(needs, index), intents, tally)
        renew()
    write_all(ctx, intents, tally, renew)


def pending_chunks(ctx: EngineContext) -> Iterator[list[int]]:
    """The ids of the orders pending now, oldest first, `ctx.batch_size` at a time."""
    after = None
    while True:
        with ctx.sessions() as session:
            rows = queries.pending_order_keys(
                session, shop_id=ctx.shop_id, after=after, limit=ctx.batch_size
            )
        if not rows:
            return
        yield [order_id for _created, order_id in rows]
        after = rows[-1]


def listings_touched(ctx: EngineContext, tally: Tally) -> set[int]:
    touched: set[int] = set()
    for chunk in pending_chunks(ctx):
        needs = load_needs(ctx, chunk)
        touched.update(listings_wanted(needs, ctx.skus.index_for(skus_of(needs), tally.index)))
    return touched


def skus_of(needs: dict[int, list[Need]]) -> set[str]:
    return {need.etsy_sku for ns in needs.values() for need in ns if need.etsy_sku}


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


def read_listings(ctx: EngineContext, listing_ids: list[int]) -> dict[int, dict]:
    """Each listing's inventory as Etsy has it now, `MAX_BATCH` per call; a listing Etsy
    refuses or no longer has is left out."""
    inventories: dict[int, dict] = {}
    for start in range(0, len(listing_ids), MAX_BATCH):
        chunk = listing_ids[start : start + MAX_BATCH]
        try:
            found = ctx.etsy.get_listings(chunk)
        except Rejected as exc:
            log.warning("listings %s unreadable: %s", chunk, exc)
            continue
        for listing in found:
            inventory = listing.get("inventory")
            if isinstance(inventory, dict) and isinstance(inventory.get("products"), list):
                inventories[int(listing["listing_id"])] = inventory
    return inventories


def read_into(ctx: EngineContext, planner: Planner, listing_ids: list[int]) -> None:
    if listing_ids:
        planner.read(read_listings(ctx, listing_ids), tried=listing_ids)


def journal_chunk(
    ctx: EngineContext, planner: Planner, plan: BatchPlan, intents: dict[int, int], tally: Tally
) -> None:
    """Store a chunk's plan: its failures, and for the orders that fit their reservations,
    on the listing's one intent of this settle (its planned changes now include theirs)."""
    now = ctx.clock()
    with transaction(ctx.sessions) as session:
        fail_placements(
            session, plan.failures(), expected=(Placement.PENDING,), now=now, tally=tally
        )
        placing = queries.move_placements(
            session, order_ids=plan.fitting(), expected=(Placement.PENDING,), to=Placement.PLACING
        )
        rows: list[dict] = []
        for listing_id, changes in planner.commit(plan, placing).items():
            intent_id = intents.get(listing_id)
            if intent_id is None:
                intent_id = journal_intent(
                    session,
                    ctx,
                    listing_id=listing_id,
                    kind=IntentKind.RESERVE,
                    inventory=planner.stock.inventories[listing_id],
                    changes=changes,
                ).id
                intents[listing_id] = intent_id
            elif not queries.replan_intent(
                session, intent_id=intent_id, changes=journal.encoded(changes)
            ):
                raise RuntimeError(f"stock intent {intent_id} was finished while being planned")
            rows += [
                reservation(order_id, take, intent_id)
                for order_id, take in plan.takes_on(listing_id, placing)
            ]
        queries.add_reservations(session, rows=rows)


def reservation(order_id: int, take: Take, intent_id: int) -> dict:
    return {
        "order_id": order_id,
        "line_id": take.need.line_id,
        "tiktok_sku": take.need.tiktok_sku,
        "etsy_sku": take.need.etsy_sku,
        "listing_id": take.listing_id,
        "product_id": None,
        "units": take.need.units,
        "state": ReservationState.PLANNED,
        "reserve_intent_id": intent_id,
        "restore_intent_id": None,
    }


Pending = list[tuple[int, Future]]  # (intent id, its write)


def write_all(
    ctx: EngineContext, intents: dict[int, int], tally: Tally, renew: Callable[[], None]
) -> None:
    """Write every intent, a group at a time: a group is read and re-based while the one
    before it is being written, and waits for the one before that (so the read stays near
    the write)."""
    listing_ids = sorted(intents)
    in_flight: deque[Pending] = deque()
    errors: list[MarketplaceError] = []
    with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="etsy-write") as pool:
        try:
            for start in range(0, len(listing_ids), WRITE_GROUP):
                group = listing_ids[start : start + WRITE_GROUP]
                fresh = read_listings(ctx, group)
                writes = []
                for listing_id in group:
                    intent = ready_to_write(ctx, intents[listing_id], fresh.get(listing_id), tally)
                    if intent is not None:
                        write = pool.submit(put_inventory, ctx, intent, fresh[listing_id])
                        writes.append((intent.id, write))
                in_flight.append(writes)
                while len(in_flight) > 1:
                    finish_writes(ctx, in_flight.popleft(), tally, errors)
                    renew()
                if errors:
                    break
        finally:
            while in_flight:
                finish_writes(ctx, in_flight.popleft(), tally, errors)
    if errors:
        raise errors[0]  # the writes not finished stay open, for the next reconcile


def ready_to_write(
    ctx: EngineContext, intent_id: int, inventory: dict | None, tally: Tally
) -> StockIntent | None:
    """The intent re-based on the inventory just read, or None when it was finished instead
    (the listing could not be read, or no longer has the stock planned)."""
    if inventory is None:
        listing = _listing_of(ctx, intent_id)
        detail = f"Etsy listing {listing} could not be read"
        finish_intent(ctx, intent_id, Refused(Failure(FailureReason.ETSY_ERROR, detail)), tally)
        return None
    return rebase_for_write(ctx, intent_id, inventory, tally)


def _listing_of(ctx: EngineContext, intent_id: int) -> int:
    with ctx.sessions() as session:
        return session.get(StockIntent, intent_id).listing_id


def finish_writes(
    ctx: EngineContext, writes: Pending, tally: Tally, errors: list[MarketplaceError]
) -> None:
    """Finish each intent as its write comes back; one that raised stays open."""
    intents = {future: intent_id for intent_id, future in writes}
    for future in as_completed(intents):
        intent_id = intents[future]
        try:
            outcome: Outcome = future.result()
        except MarketplaceError as exc:
            log.warning("stock write of intent %s stopped: %s", intent_id, exc)
            errors.append(exc)
            continue
        finish_intent(ctx, intent_id, outcome, tally)
