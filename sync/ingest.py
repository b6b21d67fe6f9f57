"""Storing TikTok orders: insert new ones, update known ones, never go backwards in time.

Ingest writes what TikTok says (status, times, cancellation); an order's placement belongs to
the engine, and ingest moves it only by compare-and-set (a placement may be under way).
"""

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from storage import queries
from storage.models import Order, OrderLine
from storage.states import Actor, EventKind, Placement
from sync import history, sections
from sync.shipping import facts as shipping_facts
from sync.storable import shown_id, storable
from sync.tiktok.fields import Unreadable
from sync.tiktok.models import TikTokOrder

log = logging.getLogger(__name__)

FULFILLED_BY_TIKTOK = "FULFILLMENT_BY_TIKTOK"

# Placements a cancellation ends at once (units a failed placement still holds on another
# listing are given back all the same); one under way finishes first, then gives back.
NOT_UNDER_WAY = (Placement.WAITING, Placement.PENDING, Placement.FAILED)


@dataclass
class IngestResult:
    new: int = 0
    updated: int = 0
    stale: int = 0
    newly_cancelled: list[str] = field(default_factory=list)  # TikTok order ids
    unreadable: list[str] = field(default_factory=list)  # orders that cannot be stored (logged)
    max_update_time: int | None = None
    min_update_time: int | None = None


def initial_placement(status: str, fulfillment_type: str) -> Placement:
    if fulfillment_type == FULFILLED_BY_TIKTOK or status == sections.CANCELLED:
        return Placement.SKIPPED  # TikTok ships it, or it never left the shelf
    if status in sections.PLACEABLE:
        return Placement.PENDING
    return Placement.WAITING


def _combined(line) -> str | None:
    if not line.combined:
        return None
    parts = [
        {"sku_id": part.sku_id, "sku_count": part.sku_count, "seller_sku": part.seller_sku}
        for part in line.combined
    ]
    return json.dumps(parts, sort_keys=True)


def _copy_times(order: Order, incoming: TikTokOrder) -> None:
    order.tiktok_status = incoming.status
    order.partial = incoming.status == sections.PARTIALLY_SHIPPING
    order.updated_at = incoming.update_time
    order.paid_at = incoming.paid_time or order.paid_at
    order.collected_at = incoming.collection_time or order.collected_at
    order.delivered_at = incoming.delivery_time or order.delivered_at
    order.cancelled_at = incoming.cancel_time or order.cancelled_at
    if incoming.cancel_reason:
        order.cancel_reason = incoming.cancel_reason
    if incoming.cancellation_initiator:
        order.cancel_initiator = incoming.cancellation_initiator


def refresh_section(session: Session, order: Order, now: datetime, *, reread: bool = True) -> bool:
    """Put the order in the section its row belongs in, as stored now: the row is read again
    (and locked, where the database can) so that values read earlier cannot undo what another
    writer changed meanwhile. `reread=False`: the caller has just read it so itself
    (`queries.order_as_stored`) and may have changed it since."""
    if reread and order.id is not None:
        session.flush()
        session.refresh(order, with_for_update=True)
    return queries.set_section(session, order=order, section=section_of(order, now))


def ingest(
    session: Session, *, shop_id: int, orders: list[TikTokOrder], now: datetime
) -> IngestResult:
    """Upsert one page of orders (caller commits). Line items are stored once, by their id.
    An order that cannot be stored as it is (`storable`) is left out and named in the result.

    The page is stored as a whole: new orders inserted together, known ones read again
    together once changed, and each section's count moved once for the page."""
    result = IngestResult()
    orders = _storable(orders, result)
    stored = queries.orders_by_tiktok_ids(session, tiktok_order_ids=[order.id for order in orders])
    page = _Page(session, shop_id, now)
    for incoming in orders:
        stamp = int(incoming.update_time.timestamp())
        result.max_update_time = max(result.max_update_time or stamp, stamp)
        result.min_update_time = min(result.min_update_time or stamp, stamp)
        order = stored.get(incoming.id)
        if order is None:
            stored[incoming.id] = page.insert(incoming)
            result.new += 1
            if incoming.status == sections.CANCELLED:
                result.newly_cancelled.append(incoming.id)
            continue
        if order.id is None:  # twice in one page: the first one's row is needed now
            page.flush_new()
        if incoming.update_time < order.updated_at:
            result.stale += 1  # an older view of the order (late page or webhook)
            continue
        if _update(session, order, incoming, now, result):
            result.updated += 1
        page.touched.append(order.id)
    page.finish()
    return result


def _update(
    session: Session, order: Order, incoming: TikTokOrder, now: datetime, result: IngestResult
) -> bool:
    """A known order as TikTok shows it now; True if its status changed."""
    before = order.tiktok_status
    _copy_times(order, incoming)
    shipping_facts.store(session, order, incoming)
    order.synced_at = now
    if before == incoming.status:
        return False
    history.record(
        session,
        order.id,
        EventKind.STATUS,
        f"{before} → {incoming.status}",
        actor=Actor.TIKTOK,
        at=incoming.update_time,
    )
    if incoming.status in sections.PLACEABLE:
        queries.move_placement(
            session, order_id=order.id, expected=(Placement.WAITING,), to=Placement.PENDING
        )
    if incoming.status == sections.CANCELLED:
        result.newly_cancelled.append(incoming.id)
        queries.move_placement(
            session, order_id=order.id, expected=NOT_UNDER_WAY, to=Placement.SKIPPED
        )
    return True


class _Page:
    """What one page adds up to before it is written: new orders (inserted together), the
    known ones it touched (sections refreshed together) and the section counts' changes."""

    def __init__(self, session: Session, shop_id: int, now: datetime):
        self.session, self.shop_id, self.now = session, shop_id, now
        self.new: list[tuple[Order, TikTokOrder]] = []
        self.touched: list[int] = []
        self.counts: Counter[str] = Counter()

    def insert(self, incoming: TikTokOrder) -> Order:
        order = Order(
            shop_id=self.shop_id,
            tiktok_order_id=incoming.id,
            tiktok_status=incoming.status,
            section="",
            placement=initial_placement(incoming.status, incoming.fulfillment_type),
            fulfilled_by="TIKTOK" if incoming.fulfillment_type == FULFILLED_BY_TIKTOK else "SELLER",
            created_at=incoming.create_time,
            updated_at=incoming.update_time,
            total_amount=incoming.total_amount,
            currency=incoming.currency,
            synced_at=self.now,
        )
        _copy_times(order, incoming)
        order.section = section_of(order, self.now)  # its insert carries it
        self.counts[order.section] += 1
        self.new.append((order, incoming))
        return order

    def flush_new(self) -> None:
        """Insert the new orders so far (one statement per table), then their lines and
        their first history entries."""
        if not self.new:
            return
        self.session.add_all([order for order, _ in self.new])
        self.session.flush()
        for order, incoming in self.new:
            self.session.add_all(_lines(order, incoming))
            # Added, not looked up: a row read here would flush each order on its own.
            self.session.add(shipping_facts.row(order, incoming))
            history.record(
                self.session,
                order.id,
                EventKind.CREATED,
                f"{incoming.status}, {len(incoming.line_items)} item(s)",
                actor=Actor.TIKTOK,
                at=incoming.create_time,
            )
        self.new = []

    def finish(self) -> None:
        self.flush_new()
        self.session.flush()
        # Read again (and locked, where the database can) after this page's changes, so
        # that values read before them cannot undo what another writer changed meanwhile.
        for order in queries.orders_as_stored(self.session, order_ids=sorted(set(self.touched))):
            left = queries.move_section(
                self.session, order=order, section=section_of(order, self.now)
            )
            if left is not None:
                if left:
                    self.counts[left] -= 1
                self.counts[order.section] += 1
        queries.adjust_section_counts(self.session, shop_id=self.shop_id, deltas=self.counts)
        self.session.flush()


def section_of(order: Order, now: datetime) -> str:
    section = sections.classify(
        order.tiktok_status,
        failure_reason=order.failure_reason,
        delivered_at=order.delivered_at,
        now=now,
        return_requested=order.return_requested,
    )
    if section == sections.Section.COMPLETED and order.completed_at is None:
        order.completed_at = now
    return section.value


def _storable(orders: list[TikTokOrder], result: IngestResult) -> list[TikTokOrder]:
    fitting = []
    for order in orders:
        try:
            fitting.append(storable(order))
        except Unreadable as exc:
            log.warning("tiktok: order %s skipped: %s", shown_id(order.id), exc)
            result.unreadable.append(shown_id(order.id))
    return fitting


def _lines(order: Order, incoming: TikTokOrder) -> list[OrderLine]:
    return [
        OrderLine(
            order_id=order.id,
            tiktok_line_id=line.id,
            sku_id=line.sku_id,
            seller_sku=line.seller_sku or "",
            product_name=line.product_name or "",
            sku_name=line.sku_name or "",
            sale_price=line.sale_price,
            currency=line.currency or incoming.currency,
            display_status=line.display_status,
            combined=_combined(line),
        )
        for line in incoming.line_items
    ]
