"""Orders still moving: refreshing them without webhooks, and the 14-day completion sweep.

Refresh. Orders awaiting collection, in transit or delivered change on TikTok's side only. A
fetch sees them when TikTok bumps their `update_time`; this re-reads them directly as well
(Get Order Detail, at most 50 ids per call, `Engine.refresh_orders`), oldest-synced first, so a
transition is caught even when no webhook arrives and no search returns it.

Completion sweep (SPEC §2: delivered 14 days or more with no return or refund request →
Completed). What can be checked on the platform (TikTok reference §10–§14), and what cannot:

- Checked: before completing, every due order is read again with Get Order Detail. If TikTok
  has moved it on meanwhile (COMPLETED when the after-sales window closed or after a full
  refund, CANCELLED), the stored order follows TikTok and is not auto-completed by orderbot.
  If the read fails, nothing is completed this round.
- Checked: return and refund requests (SPEC §4.2). Opening one need not change the order, so
  each fetch reads Search Returns by update time, type-12 and type-11 pushes re-read the requests
  of their order, and the sweep re-reads those of every due order (Search Returns by order id)
  before completing anything. A request open, or closed with a refund, sets the stored
  `return_requested` flag, and a flagged order is not completed (`sync.engine.requests`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session

from storage import queries
from storage.db import SessionFactory, transaction
from storage.models import Order
from storage.states import EventKind
from sync import history, sections
from sync.clock import as_utc
from sync.errors import MarketplaceError, Rejected
from sync.ingest import refresh_section
from sync.tiktok.client import ORDER_IDS_PER_CALL

if TYPE_CHECKING:  # the engine's fetch completes what is due, so it imports this module
    from sync.engine import Engine

log = logging.getLogger(__name__)

MOVING = (
    sections.Section.AWAITING_COLLECTION.value,
    sections.Section.IN_TRANSIT.value,
    sections.Section.DELIVERED.value,
)
SWEEP_CHECKS = 500  # due orders re-read per sweep (10 calls)
COMPLETIONS_PER_TRANSACTION = 500


def chunks(items: list[str], size: int = ORDER_IDS_PER_CALL) -> list[list[str]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def due_for_completion(session: Session, *, shop_id: int, now: datetime, limit: int) -> list[Order]:
    """Delivered orders past the 14-day line at `now` with no return or refund request flagged
    (SPEC §2; `sections.is_auto_completed` is the same rule for one order)."""
    return queries.delivered_before(
        session, shop_id=shop_id, cutoff=now - sections.AUTO_COMPLETE_AFTER, limit=limit
    )


def complete_due(sessions: SessionFactory, *, shop_id: int, now: datetime) -> int:
    """Move every order due at `now` to Completed; returns how many moved."""
    done = 0
    while True:
        moved = 0
        with transaction(sessions) as session:
            due = due_for_completion(
                session, shop_id=shop_id, now=now, limit=COMPLETIONS_PER_TRANSACTION
            )
            for order in due:
                if refresh_section(session, order, now):
                    history.record(
                        session,
                        order.id,
                        EventKind.AUTO_COMPLETED,
                        "delivered 14 days ago with no return or refund request",
                        at=now,
                    )
                    moved += 1
        done += moved
        if len(due) < COMPLETIONS_PER_TRANSACTION or not moved:
            return done


@dataclass
class RefreshReport:
    asked: int = 0
    calls: int = 0
    error: str | None = None
    claims_cancelled: int = 0  # stale cancel claims found cancelled on TikTok, recorded
    claims_released: int = 0  # and found not cancelled, released
    ship_claims_settled: int = 0  # ships whose answer was lost, settled from TikTok


def refresh_moving(
    engine: Engine, *, now: datetime, stale_after: timedelta, limit: int = 5000
) -> RefreshReport:
    """Re-read moving orders not read from TikTok within `stale_after`, 50 per call; settle
    cancel claims a crash left behind first."""
    report = RefreshReport()
    claims = engine.settle_cancel_claims()
    report.claims_cancelled, report.claims_released = claims.cancelled, claims.released
    report.ship_claims_settled = engine.settle_ship_claims()
    with engine.sessions() as session:
        ids = queries.orders_in_sections(
            session,
            shop_id=engine.shop_id,
            sections=MOVING,
            synced_before=now - stale_after,
            limit=limit,
        )
    for batch in chunks(ids):
        try:
            engine.refresh_orders(batch)
        except MarketplaceError as exc:
            report.error = str(exc)
            log.warning("refresh of moving orders stopped: %s", exc)
            break
        report.asked += len(batch)
        report.calls += 1
    return report


@dataclass
class SweepReport:
    due: int = 0
    moved_on_tiktok: list[str] | None = None
    missing_on_tiktok: list[str] | None = None
    completed: int = 0
    error: str | None = None


def sweep(engine: Engine, *, now: datetime) -> SweepReport:
    """Complete what is due at `now` (see the module's note on what is checked)."""
    report = SweepReport(moved_on_tiktok=[], missing_on_tiktok=[])
    with engine.sessions() as session:
        due = due_for_completion(session, shop_id=engine.shop_id, now=now, limit=SWEEP_CHECKS)
    report.due = len(due)
    if not due:
        return report
    stored = {order.tiktok_order_id: order for order in due}
    try:
        read = engine.tiktok.get_orders(list(stored))
    except MarketplaceError as exc:
        report.error = f"could not re-read due orders on TikTok, none completed: {exc}"
        log.warning("completion sweep: %s", report.error)
        return report
    for order in read:
        mine = stored.get(order.id)
        if mine is None:
            continue
        if order.status != sections.DELIVERED or order.update_time > as_utc(mine.updated_at):
            report.moved_on_tiktok.append(order.id)
    report.missing_on_tiktok = sorted(set(stored) - {order.id for order in read})
    if report.missing_on_tiktok:
        log.warning(
            "completion sweep: TikTok did not return %d due order(s), e.g. %s",
            len(report.missing_on_tiktok),
            report.missing_on_tiktok[0],
        )
    try:
        if report.moved_on_tiktok:
            engine.refresh_orders(report.moved_on_tiktok)
        engine.follow_requests(sorted(stored))  # a return opened since the last fetch
        report.completed = complete_due(engine.sessions, shop_id=engine.shop_id, now=now)
    except MarketplaceError as exc:
        report.error = str(exc)
        log.warning("completion sweep stopped: %s", exc)
    return report


def tiktok_shop_id(engine: Engine) -> str:
    """The TikTok shop id webhooks carry (`shop_id`), stored once looked up (Get Authorized
    Shops, the shop whose cipher the client uses)."""
    with engine.sessions() as session:
        row = queries.shop(session, shop_id=engine.shop_id)
        if row is not None and row.tiktok_shop_id:
            return row.tiktok_shop_id
    shops = engine.tiktok.authorized_shops()
    cipher = engine.tiktok.shop_cipher()
    match = next((shop for shop in shops if shop.cipher == cipher), None)
    if match is None:
        raise Rejected("tiktok", "the shop's cipher is not among the authorised shops")
    with transaction(engine.sessions) as session:
        queries.set_tiktok_shop_id(session, shop_id=engine.shop_id, tiktok_shop_id=match.id)
    return match.id
