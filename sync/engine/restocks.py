"""Restock after a return: a returned parcel's units go back on Etsy only when someone asks
(SPEC §4.2), through the engine's restore path (`restoring`), under the shop's stock lease.

The ask is stored first (`after_sales_requests.restock_at`, compare-and-set: one click counts);
what is still owed is derived from it and the reservations of the returned lines, so a crash
between the click and the Etsy write is finished by the next fetch, and nothing is given back
twice (reservations move RESERVED → RESTORING by compare-and-set).
"""

import logging
from collections import defaultdict

from storage import queries
from storage.db import transaction
from storage.models import AfterSalesRequest, Reservation
from storage.states import EventKind, RequestKind, ReservationState
from sync import history
from sync.engine.context import EngineContext
from sync.engine.errors import EngineError
from sync.engine.restoring import give_back, release_deactivated
from sync.engine.results import Tally
from sync.errors import MarketplaceError
from sync.leases import LeaseLost, new_holder

log = logging.getLogger(__name__)

RESTOCKS_PER_SETTLE = 200


class RequestNotFound(EngineError):
    pass


def look_up(ctx: EngineContext, request_id: str) -> AfterSalesRequest:
    with ctx.sessions() as session:
        row = queries.request_by_id(session, shop_id=ctx.shop_id, request_id=request_id)
    if row is None:
        raise RequestNotFound(
            f"No return, refund or cancellation request {request_id} is known; "
            "/orders returns lists the open ones."
        )
    return row


def ask(ctx: EngineContext, request_id: str, *, actor: str) -> None:
    """Record that `actor` asked the returned units of a request back; once per request."""
    row = look_up(ctx, request_id)
    if row.kind != RequestKind.RETURN_AND_REFUND:
        raise EngineError(
            f"Request {request_id} is a {row.kind.replace('_', ' ')} request: nothing comes "
            "back, so no stock moves."
        )
    if row.received_at is None:
        raise EngineError(
            f"The parcel of return {request_id} has not reached you yet; restock it once it "
            "is back."
        )
    now = ctx.clock()
    with transaction(ctx.sessions) as session:
        claimed = queries.claim_restock(session, request_pk=row.id, actor=actor, now=now)
        if claimed:
            history.record(
                session, row.order_id, EventKind.REQUEST_RESTOCK, request_id, actor=actor, at=now
            )
    if not claimed:
        done = look_up(ctx, request_id)
        raise EngineError(
            f"Return {request_id} was already restocked (asked by {done.restock_by})."
        )


def owed(ctx: EngineContext) -> dict[int, list[Reservation]]:
    """Reservations still held for the returned lines of restocks asked, by listing."""
    by_listing: dict[int, list[Reservation]] = defaultdict(list)
    with ctx.sessions() as session:
        asked = queries.restocks_asked(session, shop_id=ctx.shop_id, limit=RESTOCKS_PER_SETTLE)
        for row in asked:
            returned = {line["order_line_item_id"] for line in row.lines()}
            lines = queries.lines_of(session, order_ids=[row.order_id])[row.order_id]
            line_ids = {line.id for line in lines if line.tiktok_line_id in returned}
            for reservation in queries.reservations_of(session, order_ids=[row.order_id])[
                row.order_id
            ]:
                if reservation.line_id in line_ids and reservation.state in (
                    ReservationState.RESERVED,
                    ReservationState.HELD,
                ):
                    by_listing[reservation.listing_id].append(reservation)
    return by_listing


def settle(ctx: EngineContext, tally: Tally | None = None) -> bool:
    """Give back what restocks are owed, unless another worker holds the stock (it or the next
    fetch will). True when nothing was left owed by this run."""
    by_listing = owed(ctx)
    if not by_listing:
        return True
    tally = tally or Tally()
    name, holder = f"stock:{ctx.shop_id}", new_holder()
    if not ctx.leases.take_waiting(name, holder, hold_for=ctx.lease_for, wait_s=0):
        return False
    try:
        for listing_id, reservations in by_listing.items():
            held = [r for r in reservations if r.state == ReservationState.HELD]
            if held:
                release_deactivated(ctx, listing_id, held, tally)
            reserved = [r for r in reservations if r.state == ReservationState.RESERVED]
            if reserved:
                give_back(ctx, listing_id, reserved, tally)
        return True
    except (MarketplaceError, LeaseLost) as exc:
        log.warning("restock stopped (the next fetch goes on): %s", exc)
        return False
    finally:
        ctx.leases.release(name, holder)
