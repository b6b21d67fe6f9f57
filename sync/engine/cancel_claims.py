"""Cancel claims a crash left behind.

A cancel claims its order (`cancel_requested_at`, `actions.cancel`) before it calls TikTok, so
the call is made once however often it is asked for; the request ends the claim itself when
TikTok refuses or fails. A process that dies in between (a deploy, an OOM kill) would leave
the claim to refuse every later cancel. So a claim older than `CANCEL_CLAIM_EXPIRES_AFTER`, the
longest a cancel call can take, on an order not cancelled here, is settled from TikTok's view
of the order:

- cancelled there: the cancellation is recorded as any other (the status, the section, the
  history; the next settle gives its Etsy stock back);
- not cancelled: the claim is released, the history says so, and a new request may take it;
- TikTok cannot be asked now: the claim stays until the next try.

This runs on the next cancel asked for that order, in every fetch and in the refresh job.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from storage import queries
from storage.db import transaction
from storage.states import Actor, EventKind
from sync import history, sections
from sync.engine.context import EngineContext
from sync.errors import MarketplaceError
from sync.ingest import ingest
from sync.tiktok.client import LONGEST_CALL, ORDER_IDS_PER_CALL
from sync.tiktok.models import TikTokOrder

log = logging.getLogger(__name__)

# The cancel call at its longest, and a minute for the database work around it.
CANCEL_CLAIM_EXPIRES_AFTER = LONGEST_CALL + timedelta(minutes=1)
CLAIMS_PER_RUN = 500


class Settled(StrEnum):
    CANCELLED = "cancelled"  # TikTok shows it cancelled: recorded
    RELEASED = "released"  # TikTok shows it not cancelled: the claim is gone
    UNKNOWN = "unknown"  # TikTok could not be asked, or did not return the order
    NOT_STALE = "not_stale"  # no stale claim (any more): another worker settled it


@dataclass
class SettledClaims:
    cancelled: int = 0
    released: int = 0


def expired(requested_at: datetime, now: datetime) -> bool:
    return requested_at < now - CANCEL_CLAIM_EXPIRES_AFTER


def settle_stale(ctx: EngineContext) -> SettledClaims:
    """Settle every stale cancel claim of the shop (up to `CLAIMS_PER_RUN`)."""
    now = ctx.clock()
    with ctx.sessions() as session:
        ids = queries.stale_cancel_claims(
            session,
            shop_id=ctx.shop_id,
            cutoff=now - CANCEL_CLAIM_EXPIRES_AFTER,
            limit=CLAIMS_PER_RUN,
        )
    done = SettledClaims()
    for start in range(0, len(ids), ORDER_IDS_PER_CALL):
        batch = ids[start : start + ORDER_IDS_PER_CALL]
        try:
            seen = {order.id: order for order in ctx.tiktok.get_orders(batch)}
        except MarketplaceError as exc:
            log.warning("stale cancel claims stay until TikTok answers: %s", exc)
            break
        for tiktok_order_id in batch:
            outcome = _settle(ctx, tiktok_order_id, seen.get(tiktok_order_id), now)
            done.cancelled += outcome is Settled.CANCELLED
            done.released += outcome is Settled.RELEASED
    return done


def settle_one(ctx: EngineContext, tiktok_order_id: str, now: datetime) -> Settled:
    """Settle this order's cancel claim, if it is stale at `now`."""
    try:
        seen = ctx.tiktok.get_orders([tiktok_order_id])
    except MarketplaceError as exc:
        log.warning("cancel claim of order %s stays: %s", tiktok_order_id, exc)
        return Settled.UNKNOWN
    return _settle(
        ctx, tiktok_order_id, next((o for o in seen if o.id == tiktok_order_id), None), now
    )


def _settle(
    ctx: EngineContext, tiktok_order_id: str, seen: TikTokOrder | None, now: datetime
) -> Settled:
    if seen is None:
        log.warning("cancel claim of order %s stays: TikTok did not return it", tiktok_order_id)
        return Settled.UNKNOWN
    with transaction(ctx.sessions) as session:
        order = queries.order_by_tiktok_id(
            session, shop_id=ctx.shop_id, tiktok_order_id=tiktok_order_id
        )
        cutoff = now - CANCEL_CLAIM_EXPIRES_AFTER
        if order is None or not queries.hold_stale_cancel_claim(
            session, order_id=order.id, cutoff=cutoff
        ):
            return Settled.NOT_STALE
        claim = queries.order_as_stored(session, order_id=order.id)
        asked = (
            f"the cancel asked by {claim.cancel_requested_by} at "
            f"{claim.cancel_requested_at:%Y-%m-%d %H:%M} UTC"
        )
        if seen.status == sections.CANCELLED:
            ingest(session, shop_id=ctx.shop_id, orders=[seen], now=now)
            history.record(
                session,
                order.id,
                EventKind.CANCELLED,
                f"{asked} went through: TikTok shows the order cancelled (orderbot had "
                "stopped before its answer came)",
                actor=claim.cancel_requested_by or Actor.SYSTEM,
                at=now,
            )
            log.info("order %s: %s went through", tiktok_order_id, asked)
            return Settled.CANCELLED
        queries.release_cancel_claim(
            session, order_id=order.id, requested_at=claim.cancel_requested_at
        )
        history.record(
            session,
            order.id,
            EventKind.CANCEL_FAILED,
            f"{asked} never got TikTok's answer (orderbot had stopped); TikTok shows the "
            f"order {seen.status}, not cancelled, so it may be asked again",
            actor=Actor.SYSTEM,
            at=now,
        )
        log.info("order %s: %s was interrupted; claim released", tiktok_order_id, asked)
        return Settled.RELEASED
