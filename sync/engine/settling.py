"""Settling: everything the shop's stock is owed, derived from storage, under one lease."""

import logging

from sync.engine.context import EngineContext
from sync.engine.errors import ShopBusy
from sync.engine.placing import place_pending
from sync.engine.restoring import resolve_cancel_reasons, restore_owed
from sync.engine.results import Tally
from sync.engine.stock_writes import reconcile
from sync.errors import MarketplaceError
from sync.leases import LeaseLost, new_holder

log = logging.getLogger(__name__)


def try_settle(ctx: EngineContext, tally: Tally | None = None) -> bool:
    """Settle now unless another worker is; it will see the same stored state."""
    tally = tally or Tally()
    try:
        return settle(ctx, tally, new_holder(), wait=False)
    except (MarketplaceError, LeaseLost) as exc:
        log.warning("settle stopped: %s", exc)
        return False


def settle(ctx: EngineContext, tally: Tally, holder: str, wait: bool = True) -> bool:
    name = f"stock:{ctx.shop_id}"
    # Another worker (a Slack cancel, another instance) may be moving this shop's stock;
    # its work is short, and a dead holder's lease is taken over.
    if not ctx.leases.take_waiting(
        name, holder, hold_for=ctx.lease_for, wait_s=ctx.settle_wait_s if wait else 0
    ):
        if wait:
            raise ShopBusy("another worker kept this shop's stock busy; try again soon")
        return False
    try:
        reconcile(ctx, tally)
        resolve_cancel_reasons(ctx)
        restore_owed(ctx, tally)
        ctx.skus.start(tally.index)  # a fetch's one refresh, before it places anything
        # Every pending order at once: one write per listing, however many orders.
        place_pending(ctx, tally, lambda: ctx.leases.renew(name, holder, hold_for=ctx.lease_for))
        restore_owed(ctx, tally)
        ctx.skus.save_quota()
        return True
    finally:
        ctx.leases.release(name, holder)
