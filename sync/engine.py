"""The order engine: fetch TikTok orders, place them on Etsy, give stock back, complete.

Everything the engine owes (placements, restores, unfinished stock writes, cancellation
reasons) is derived from what is stored, so a crash or an outage at any point is resumed by
the next run, and nothing is done twice.
"""

import json
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from storage import queries
from storage.db import SessionFactory, transaction
from storage.models import Order, Reservation, StockIntent
from sync import journal, metrics, sections
from sync.clock import Clock, to_unix, utc_now
from sync.errors import AuthFailed, MarketplaceError, Rejected
from sync.etsy.client import EtsyClient
from sync.ingest import ingest, refresh_section
from sync.journal import Change
from sync.leases import LeaseLost, Leases, holder_name, new_holder
from sync.logcontext import operation
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
from sync.pools import Pool, ambiguity, pools
from sync.skus import INDEXED_STATES, SkuIndex
from sync.tiktok import effective_cancellations
from sync.tiktok.client import TikTokClient

log = logging.getLogger(__name__)

SYSTEM = "orderbot"


@dataclass(frozen=True)
class FetchProgress:
    pages: int
    orders: int
    placed: int
    failed: int
    done: bool = False


@dataclass
class FetchSummary:
    started_at: datetime
    finished_at: datetime | None = None
    pages: int = 0
    orders: int = 0
    new: int = 0
    updated: int = 0
    placed: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    restored: int = 0
    completed: int = 0
    error: str | None = None
    skipped: list[str] = field(default_factory=list)  # orders TikTok sent that could not be read

    @property
    def duration_s(self) -> float:
        end = self.finished_at or self.started_at
        return (end - self.started_at).total_seconds()

    def to_json(self) -> str:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        return json.dumps(data)


class EngineError(Exception):
    """A request the engine refuses; the message is for the user."""


class FetchRunning(EngineError):
    pass


class OrderNotFound(EngineError):
    pass


class ShopBusy(EngineError):
    """Another worker holds this shop's stock for longer than a request may wait."""


@dataclass
class _Tally:
    placed: int = 0
    failed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    restored: int = 0

    def fail(self, reason: str) -> None:
        self.failed[reason] += 1
        metrics.ORDERS_FAILED.labels(reason).inc()


class Engine:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        shop_id: int,
        tiktok: TikTokClient,
        etsy: EtsyClient,
        clock: Clock = utc_now,
        lookback_days: int = 7,
        overlap_s: int = 300,
        batch_size: int = 250,
        index_ttl_s: int = 600,
        lease_s: int = 300,
        settle_wait_s: float = 60.0,
        leases: Leases | None = None,
    ):
        self.sessions = sessions
        self.shop_id = shop_id
        self.tiktok = tiktok
        self.etsy = etsy
        self.clock = clock
        self.lookback = timedelta(days=lookback_days)
        self.overlap_s = overlap_s
        self.batch_size = batch_size
        self.index_ttl = timedelta(seconds=index_ttl_s)
        self.lease_for = timedelta(seconds=lease_s)
        self.settle_wait_s = settle_wait_s
        self.leases = leases or Leases(sessions, clock)
        self._index: SkuIndex | None = None

    # --- fetch ----------------------------------------------------------------------------

    def fetch(self, progress: Callable[[FetchProgress], None] | None = None) -> FetchSummary:
        """One fetch: store every changed order page by page, then place, restore, complete."""
        with operation("fetch"):
            return self._fetch(progress)

    def _fetch(self, progress: Callable[[FetchProgress], None] | None) -> FetchSummary:
        name, holder = f"fetch:{self.shop_id}", new_holder()
        if not self.leases.take(name, holder, hold_for=self.lease_for):
            other = self.leases.holder_of(name)
            held = f" by {holder_name(other)}" if other else ""
            raise FetchRunning(f"A fetch is already running for this shop{held}; try again soon.")
        summary = FetchSummary(started_at=self.clock())
        tally = _Tally()
        report = progress or (lambda _p: None)
        try:
            with transaction(self.sessions) as session:
                state = queries.fetch_state(session, shop_id=self.shop_id)
                state.last_started_at = summary.started_at
                cursor = state.cursor
            window_end = to_unix(summary.started_at) + 1  # `lt` is exclusive: include now
            start = (
                cursor - self.overlap_s
                if cursor is not None
                else to_unix(summary.started_at - self.lookback)
            )
            self._settle(tally, holder)
            ascending_until: int | None = None
            for page in self.tiktok.search_orders(
                update_time_ge=start,
                update_time_lt=window_end,
                page_size=100,
                sort_field="update_time",
                sort_order="ASC",
            ):
                # Nothing is stored without the lease: another fetch may have it now.
                self.leases.renew(name, holder, hold_for=self.lease_for)
                result = self._store_page(self._with_details(page.orders))
                summary.pages += 1
                summary.orders += len(page.orders)
                summary.skipped.extend(page.skipped)
                summary.new += result.new
                summary.updated += result.updated
                # The cursor may move only past pages known to be complete: with pages in
                # ascending update_time, everything before this page's newest is stored.
                if result.max_update_time is not None and (
                    ascending_until is None or result.min_update_time >= ascending_until
                ):
                    ascending_until = result.max_update_time
                    self._save_cursor(ascending_until)
                if self._pending_count() >= self.batch_size:
                    self._settle(tally, holder)
                report(self._progress(summary, tally))
            self._settle(tally, holder)
            summary.completed = self.complete_due()
            self._save_cursor(window_end)
        except AuthFailed as exc:
            # Retrying will not help (a refresh token may be spent): the seller has to act.
            summary.error = (
                f"{exc} — {exc.platform} no longer accepts orderbot's credentials: authorise "
                "the app again and put the new tokens in the settings. Nothing was lost."
            )
            log.warning("fetch stopped: %s", exc)
        except MarketplaceError as exc:
            summary.error = f"{exc} — nothing was lost; the next fetch resumes from here."
            log.warning("fetch stopped: %s", exc)
        except (LeaseLost, ShopBusy) as exc:
            # Going on without the lease could run two fetches (or stock movers) at once.
            summary.error = f"{exc} — the fetch stopped; nothing was lost."
            log.warning("fetch stopped: %s", exc)
        finally:
            summary.finished_at = self.clock()
            summary.placed, summary.failed = tally.placed, dict(tally.failed)
            summary.restored = tally.restored
            self._record_fetch(summary)
            self.leases.release(name, holder)
            metrics.FETCH_SECONDS.observe(summary.duration_s)
            metrics.FETCHES.labels("error" if summary.error else "ok").inc()
        report(self._progress(summary, tally, done=True))
        log.info(
            "fetch done: %d orders in %d pages, %d new, %d placed, failed %s, %.1fs%s",
            summary.orders,
            summary.pages,
            summary.new,
            summary.placed,
            dict(summary.failed) or 0,
            summary.duration_s,
            f", error: {summary.error}" if summary.error else "",
        )
        return summary

    def _progress(self, summary: FetchSummary, tally: _Tally, done: bool = False) -> FetchProgress:
        return FetchProgress(
            pages=summary.pages,
            orders=summary.orders,
            placed=tally.placed,
            failed=sum(tally.failed.values()),
            done=done,
        )

    def _store_page(self, orders):
        for attempt in (1, 2):
            try:
                with transaction(self.sessions) as session:
                    return ingest(session, shop_id=self.shop_id, orders=orders, now=self.clock())
            except IntegrityError:
                # Another writer (a webhook refresh) inserted one of these orders first.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _with_details(self, orders):
        """New orders as Get Order Detail gives them: in 202309 only the detail carries a
        combined-listing item's components (`combined_listing_skus`), and line items are
        stored once, when the order is first seen."""
        with self.sessions() as session:
            known = queries.orders_by_tiktok_ids(session, [order.id for order in orders])
        new_ids = [order.id for order in orders if order.id not in known]
        if not new_ids:
            return orders
        detailed = {order.id: order for order in self.tiktok.get_orders(new_ids)}
        return [detailed.get(order.id, order) for order in orders]

    def _save_cursor(self, cursor: int) -> None:
        with transaction(self.sessions) as session:
            state = queries.fetch_state(session, shop_id=self.shop_id)
            if state.cursor is None or cursor > state.cursor:
                state.cursor = cursor

    def _record_fetch(self, summary: FetchSummary) -> None:
        with transaction(self.sessions) as session:
            state = queries.fetch_state(session, shop_id=self.shop_id)
            state.last_finished_at = summary.finished_at
            state.last_summary = summary.to_json()
            state.last_error = summary.error
            if summary.error is None:
                state.last_ok_at = summary.finished_at

    def _pending_count(self) -> int:
        with self.sessions() as session:
            return len(
                queries.order_ids_with_placement(
                    session, shop_id=self.shop_id, placement="pending", limit=self.batch_size
                )
            )

    # --- refresh single orders (webhooks, after a cancel) ---------------------------------

    def refresh_orders(self, tiktok_order_ids: list[str]) -> None:
        orders = self.tiktok.get_orders(tiktok_order_ids)
        if orders:
            self._store_page(orders)
        self.try_settle()

    def try_settle(self) -> bool:
        """Settle now unless another worker is; it will see the same stored state."""
        tally = _Tally()
        try:
            return self._settle(tally, new_holder(), wait=False)
        except (MarketplaceError, LeaseLost) as exc:
            log.warning("settle stopped: %s", exc)
            return False

    # --- settle: everything owed, derived from storage ------------------------------------

    def _settle(self, tally: _Tally, holder: str, wait: bool = True) -> bool:
        name = f"stock:{self.shop_id}"
        # Another worker (a Slack cancel, another instance) may be moving this shop's stock;
        # its work is short, and a dead holder's lease is taken over.
        if not self.leases.take_waiting(
            name, holder, hold_for=self.lease_for, wait_s=self.settle_wait_s if wait else 0
        ):
            if wait:
                raise ShopBusy("another worker kept this shop's stock busy; try again soon")
            return False
        try:
            self._reconcile(tally)
            self._resolve_cancel_reasons()
            self._restore_owed(tally)
            while True:
                with self.sessions() as session:
                    ids = queries.order_ids_with_placement(
                        session, shop_id=self.shop_id, placement="pending", limit=self.batch_size
                    )
                if not ids:
                    break
                self._place(ids, tally)
                self.leases.renew(name, holder, hold_for=self.lease_for)
            self._restore_owed(tally)
            return True
        finally:
            self.leases.release(name, holder)

    # --- placing --------------------------------------------------------------------------

    def _sku_index(self, *, force: bool = False) -> SkuIndex:
        now = self.clock()
        if force or self._index is None or now - self._index.built_at > self.index_ttl:
            self._index = SkuIndex.build(self._listings(), now)
        return self._index

    def _listings(self):
        for state in INDEXED_STATES:
            for page in self.etsy.iter_listing_pages(state=state):
                yield from page

    def _place(self, order_ids: list[int], tally: _Tally) -> None:
        now = self.clock()
        with self.sessions() as session:
            orders = list(
                session.exec(
                    select(Order)
                    .where(col(Order.id).in_(order_ids), Order.placement == "pending")
                    .order_by(Order.created_at, Order.id)
                )
            )
            lines = queries.lines_of(session, [order.id for order in orders])
            mappings = queries.sku_mappings(session, shop_id=self.shop_id)
            known = queries.seller_skus_for(
                session, sku_ids=component_sku_ids(line for ls in lines.values() for line in ls)
            )
        needs = {order.id: needs_of(lines[order.id], mappings, known) for order in orders}
        index = self._sku_index()
        if any(missing_skus(n, index) for n in needs.values()) and (
            now - index.built_at > timedelta(seconds=30)
        ):
            index = self._sku_index(force=True)  # a new listing or SKU since the last build

        outcome: dict[int, list[Take] | Failure] = {}
        for order in orders:
            outcome[order.id] = resolve(needs[order.id], index)
        stock = Stock()
        for listing_id in sorted(
            {t.listing_id for r in outcome.values() if isinstance(r, list) for t in r}
        ):
            try:
                stock.add_inventory(listing_id, self.etsy.get_inventory(listing_id))
            except Rejected as exc:
                log.warning("listing %s unreadable: %s", listing_id, exc)
        working: dict[PoolKey, int] = {}
        for order in orders:
            takes = outcome[order.id]
            if isinstance(takes, list):
                unreadable = [t.listing_id for t in takes if t.listing_id not in stock.inventories]
                if unreadable:
                    outcome[order.id] = Failure(
                        "etsy_error", f"Etsy listing {unreadable[0]} could not be read"
                    )
                    continue
                failure = allocate(takes, stock, working)
                if failure:
                    outcome[order.id] = failure

        intents: list[tuple[int, dict]] = []
        with transaction(self.sessions) as session:
            # Per listing, the pools this batch draws from: one change per pool.
            by_listing: dict[int, dict[frozenset, Pool]] = defaultdict(dict)
            for order in orders:
                session.add(order)
                result = outcome[order.id]
                if isinstance(result, Failure):
                    self._fail(session, order, result, now)
                    tally.fail(result.reason)
                    continue
                order.placement = "placing"
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
                intent = self._open_intent(session, listing_id, "reserve", inventory, changes)
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
                                    state="planned",
                                    reserve_intent_id=intent.id,
                                )
                            )
        for intent_id, inventory in intents:
            self._write(intent_id, inventory, tally)

    def _open_intent(
        self, session, listing_id: int, kind: str, inventory: dict, changes, note=None
    ) -> StockIntent:
        """Journal a stock move before it is made (the caller's transaction commits it)."""
        intent = journal.new_intent(
            shop_id=self.shop_id,
            listing_id=listing_id,
            kind=kind,
            inventory=inventory,
            changes=changes,
            now=self.clock(),
        )
        intent.note = note
        session.add(intent)
        session.flush()
        return intent

    def _fail(self, session, order: Order, failure: Failure, now: datetime) -> None:
        order.placement = "failed"
        order.failure_reason = failure.reason
        order.failure_detail = failure.detail
        refresh_section(session, order, now)
        queries.add_event(
            session,
            order_id=order.id,
            at=now,
            actor=SYSTEM,
            kind="placement_failed",
            detail=f"{failure.reason}: {failure.detail}",
        )

    # --- writing stock, finishing intents -------------------------------------------------

    def _write(self, intent_id: int, inventory: dict, tally: _Tally) -> None:
        with self.sessions() as session:
            intent = session.get(StockIntent, intent_id)
        changes = journal.changes_of(intent)
        try:
            self.etsy.update_inventory(intent.listing_id, journal.body_for(inventory, changes))
        except Rejected as exc:
            if intent.kind == "reserve" and journal.empties_listing(inventory, changes):
                # Whether Etsy takes a listing to zero stock is undocumented; when it refuses,
                # deactivating is what keeps Etsy from selling units TikTok already sold.
                try:
                    self.etsy.deactivate_listing(intent.listing_id)
                except (Rejected, AuthFailed) as refused:
                    failure = Failure(
                        "etsy_error",
                        f"Etsy refused to take listing {intent.listing_id} to zero stock "
                        f"({exc.message}) and to deactivate it ({refused.message})",
                    )
                    self._finish(intent_id, ok=False, failure=failure, tally=tally)
                    return
                self._finish(intent_id, ok=True, tally=tally, held=True)
                return
            self._finish(
                intent_id,
                ok=False,
                failure=Failure(
                    "etsy_error",
                    f"Etsy refused the stock update of listing {intent.listing_id}: {exc.message}",
                ),
                tally=tally,
            )
            return
        self._finish(intent_id, ok=True, tally=tally)

    def _finish(
        self,
        intent_id: int,
        *,
        ok: bool,
        tally: _Tally,
        failure: Failure | None = None,
        held: bool = False,
    ) -> None:
        """Close an intent and move its reservations and orders on. `held`: the units were
        kept from sale by deactivating the listing, not by lowering its quantity."""
        now = self.clock()
        with transaction(self.sessions) as session:
            intent = session.get(StockIntent, intent_id)
            if intent.state != "pending":
                return
            intent.state = "done" if ok else "failed"
            intent.finished_at = now
            if failure:
                intent.note = failure.detail
            reservations = queries.reservations_of_intent(session, intent_id=intent_id)
            order_ids = sorted({r.order_id for r in reservations})
            if held:
                intent.note = (
                    f"Etsy refused to take listing {intent.listing_id} to zero stock; the "
                    "listing was deactivated instead (its quantity was not lowered)"
                )
            if intent.kind == "reserve":
                for reservation in reservations:
                    reservation.state = ("held" if held else "reserved") if ok else "abandoned"
                session.flush()
                self._after_reserve(session, order_ids, ok, failure, now, tally)
            else:
                for reservation in reservations:
                    reservation.state = "restored" if ok else "restore_failed"
                session.flush()
                self._after_restore(session, intent, order_ids, ok, now, tally)

    def _after_reserve(self, session, order_ids, ok, failure, now, tally: _Tally) -> None:
        all_reservations = queries.reservations_of(session, order_ids)
        for order_id in order_ids:
            order = session.get(Order, order_id)
            if order.placement != "placing":
                continue
            mine = all_reservations[order_id]
            if not ok:
                # All or nothing: units already reserved on other listings are given back.
                self._fail(session, order, failure, now)
                tally.fail(failure.reason)
                continue
            if all(r.state in ("reserved", "held") for r in mine):
                order.placement = "placed"
                refresh_section(session, order, now)
                tally.placed += 1
                metrics.ORDERS_PLACED.inc()
                where = ", ".join(
                    f"{r.etsy_sku} ×{r.units} on listing {r.listing_id}"
                    + (
                        " (listing deactivated: Etsy refused zero stock)"
                        if r.state == "held"
                        else ""
                    )
                    for r in mine
                )
                queries.add_event(
                    session,
                    order_id=order.id,
                    at=now,
                    actor=SYSTEM,
                    kind="placed",
                    detail=f"reserved on Etsy: {where}",
                )

    def _after_restore(self, session, intent, order_ids, ok, now, tally: _Tally) -> None:
        all_reservations = queries.reservations_of(session, order_ids)
        for order_id in order_ids:
            order = session.get(Order, order_id)
            mine = all_reservations[order_id]
            if not ok:
                queries.add_event(
                    session,
                    order_id=order.id,
                    at=now,
                    actor=SYSTEM,
                    kind="restore_failed",
                    detail=f"could not give stock back to listing {intent.listing_id}: "
                    f"{intent.note or 'unknown error'}",
                )
                continue
            given = [r for r in mine if r.restore_intent_id == intent.id]
            detail = "gave back on Etsy: " + ", ".join(
                f"{r.etsy_sku} ×{r.units} on listing {r.listing_id}" for r in given
            )
            if intent.note:
                detail += f" — {intent.note}"
            queries.add_event(
                session, order_id=order.id, at=now, actor=SYSTEM, kind="restored", detail=detail
            )
            if not any(r.state in ("reserved", "held", "restoring") for r in mine):
                if order.placement != "failed":
                    order.placement = "restored"
                tally.restored += 1
                metrics.ORDERS_RESTORED.inc()

    # --- reconciling unfinished writes ----------------------------------------------------

    def _reconcile(self, tally: _Tally) -> None:
        with self.sessions() as session:
            intents = queries.open_intents(session, shop_id=self.shop_id)
        for intent in intents:
            try:
                inventory = self.etsy.get_inventory(intent.listing_id)
            except Rejected as exc:
                detail = f"Etsy listing {intent.listing_id} can no longer be read: {exc.message}"
                self._finish(
                    intent.id, ok=False, tally=tally, failure=Failure("etsy_error", detail)
                )
                continue
            verdict = journal.verdict(intent, inventory)
            log.info(
                "reconciling stock intent %s on listing %s: %s",
                intent.id,
                intent.listing_id,
                verdict,
            )
            if verdict == "applied":
                self._finish(intent.id, ok=True, tally=tally)
            elif verdict == "not_applied":
                changes = journal.replan(intent, inventory)
                if changes is None:
                    reason = "insufficient_stock" if intent.kind == "reserve" else "etsy_error"
                    detail = f"Etsy listing {intent.listing_id} no longer has the stock planned"
                    self._finish(intent.id, ok=False, tally=tally, failure=Failure(reason, detail))
                    continue
                with transaction(self.sessions) as session:
                    stored = session.get(StockIntent, intent.id)
                    stored.changes = json.dumps([c.__dict__ for c in changes])
                    stored.product_ids_before = json.dumps(journal.product_ids(inventory))
                self._write(intent.id, inventory, tally)
            else:
                detail = (
                    f"a stock update of Etsy listing {intent.listing_id} could not be confirmed "
                    "(the listing changed meanwhile); check its quantities on Etsy"
                )
                self._finish(
                    intent.id, ok=False, tally=tally, failure=Failure("etsy_error", detail)
                )

    # --- giving stock back ----------------------------------------------------------------

    def _resolve_cancel_reasons(self) -> None:
        """Learn why TikTok's system cancelled an order: only the reason KEY says whether the
        delivery failed (display text may be localised)."""
        with self.sessions() as session:
            orders = list(
                session.exec(
                    select(Order)
                    .where(
                        Order.shop_id == self.shop_id,
                        Order.tiktok_status == sections.CANCELLED,
                        col(Order.cancel_reason_key).is_(None),
                        col(Order.cancel_initiator).not_in(["BUYER", "SELLER"])
                        | col(Order.cancel_initiator).is_(None),
                    )
                    .limit(500)
                )
            )
        if not orders:
            return
        found = {}
        ids = [order.tiktok_order_id for order in orders]
        for start in range(0, len(ids), 50):
            records = self.tiktok.search_cancellations(order_ids=ids[start : start + 50])
            found.update(effective_cancellations(records))
        now = self.clock()
        with transaction(self.sessions) as session:
            for order in orders:
                session.add(order)
                cancellation = found.get(order.tiktok_order_id)
                order.cancel_reason_key = (
                    cancellation.cancel_reason if cancellation else None
                ) or ""
                if cancellation and cancellation.role and not order.cancel_initiator:
                    order.cancel_initiator = cancellation.role
                failed = sections.delivery_failure(order.cancel_reason_key)
                if failed:
                    order.failure_reason = failed
                    order.failure_detail = (
                        f"TikTok cancelled the order: {cancellation.cancel_reason_text or failed}"
                    )
                    queries.add_event(
                        session,
                        order_id=order.id,
                        at=now,
                        actor="tiktok",
                        kind="delivery_failed",
                        detail=f"{failed} ({order.cancel_reason_key}); stock is not given back "
                        "automatically — restock when the parcel is back",
                    )
                refresh_section(session, order, now)

    def _restore_owed(self, tally: _Tally) -> None:
        with self.sessions() as session:
            owed = list(
                session.exec(
                    select(Reservation)
                    .join(Order, col(Order.id) == col(Reservation.order_id))
                    .where(
                        Order.shop_id == self.shop_id,
                        col(Reservation.state).in_(["reserved", "held"]),
                        (
                            (Order.section == sections.Section.CANCELLED.value)
                            & (
                                col(Order.cancel_initiator).in_(["BUYER", "SELLER"])
                                | col(Order.cancel_reason_key).is_not(None)
                            )
                        )
                        | col(Order.placement).in_(["failed", "restock"]),
                    )
                    .order_by(Reservation.listing_id, Reservation.id)
                    .limit(2000)
                )
            )
        by_listing: dict[int, list[Reservation]] = defaultdict(list)
        for reservation in owed:
            by_listing[reservation.listing_id].append(reservation)
        for listing_id, all_reservations in by_listing.items():
            held = [r for r in all_reservations if r.state == "held"]
            if held:
                self._release_held(listing_id, held, tally)
            reservations = [r for r in all_reservations if r.state == "reserved"]
            if not reservations:
                continue
            try:
                inventory = self.etsy.get_inventory(listing_id)
            except Rejected as exc:
                # The listing is gone or refused: nothing to give back to automatically.
                self._restore_failed(reservations, f"Etsy listing {listing_id}: {exc.message}")
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
                self._restore_failed(
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
            with transaction(self.sessions) as session:
                intent = self._open_intent(session, listing_id, "restore", inventory, changes)
                for reservation in reservations:
                    if reservation.etsy_sku not in unknown:
                        session.add(reservation)
                        reservation.state = "restoring"
                        reservation.restore_intent_id = intent.id
                intent_id = intent.id
            self._write(intent_id, inventory, tally)

    def _restore_failed(self, reservations: list[Reservation], why: str) -> None:
        now = self.clock()
        with transaction(self.sessions) as session:
            for reservation in reservations:
                session.add(reservation)
                reservation.state = "restore_failed"
                queries.add_event(
                    session,
                    order_id=reservation.order_id,
                    at=now,
                    actor=SYSTEM,
                    kind="restore_failed",
                    detail=f"could not give back {reservation.etsy_sku} ×{reservation.units}: "
                    f"{why}; give it back on Etsy by hand",
                )

    def _release_held(self, listing_id: int, held: list[Reservation], tally: _Tally) -> None:
        """Units held by deactivating a listing were never taken off its quantity: giving
        them back writes nothing, and re-activating the listing stays the seller's call."""
        with transaction(self.sessions) as session:
            intent = self._open_intent(
                session,
                listing_id,
                "restore",
                {"products": []},
                [],
                note=f"listing {listing_id} stays inactive: re-activate it on Etsy when you are "
                "ready (re-activating can renew the listing, which Etsy charges for)",
            )
            for reservation in held:
                session.add(reservation)
                reservation.state = "restoring"
                reservation.restore_intent_id = intent.id
            intent_id = intent.id
        self._finish(intent_id, ok=True, tally=tally)

    # --- time-driven completion -----------------------------------------------------------

    def complete_due(self) -> int:
        """Delivered 14 days or more with no return or refund request → Completed (SPEC §2)."""
        now = self.clock()
        done = 0
        while True:
            with transaction(self.sessions) as session:
                due = queries.delivered_before(
                    session,
                    shop_id=self.shop_id,
                    cutoff=now - sections.AUTO_COMPLETE_AFTER,
                    limit=500,
                )
                for order in due:
                    refresh_section(session, order, now)
                    queries.add_event(
                        session,
                        order_id=order.id,
                        at=now,
                        actor=SYSTEM,
                        kind="auto_completed",
                        detail="delivered 14 days ago with no return or refund request",
                    )
                done += len(due)
            if len(due) < 500:
                return done

    # --- actions --------------------------------------------------------------------------

    def _order(self, session, tiktok_order_id: str) -> Order:
        order = queries.order_by_tiktok_id(session, tiktok_order_id)
        if order is None or order.shop_id != self.shop_id:
            raise OrderNotFound(f"No order {tiktok_order_id} is known; run a fetch first?")
        return order

    def cancel(self, tiktok_order_id: str, reason_key: str, *, actor: str) -> Order:
        """Cancel on TikTok once, however often asked: a claim row guards the call."""
        now = self.clock()
        with transaction(self.sessions) as session:
            order = self._order(session, tiktok_order_id)
            if order.tiktok_status == sections.CANCELLED:
                raise EngineError(f"Order {tiktok_order_id} is already cancelled.")
            claimed = session.execute(
                update(Order)
                .where(col(Order.id) == order.id, col(Order.cancel_requested_at).is_(None))
                .values(cancel_requested_by=actor, cancel_requested_at=now)
            )
            if claimed.rowcount != 1:
                session.refresh(order)
                raise EngineError(
                    f"Order {tiktok_order_id} is already being cancelled "
                    f"(asked by {order.cancel_requested_by} at "
                    f"{order.cancel_requested_at:%Y-%m-%d %H:%M} UTC)."
                )
            queries.add_event(
                session,
                order_id=order.id,
                at=now,
                actor=actor,
                kind="cancel_requested",
                detail=reason_key,
            )
        try:
            result = self.tiktok.cancel_order(tiktok_order_id, reason_key)
            outcome = f"TikTok: {result.cancel_status}, id {result.cancel_id}"
        except MarketplaceError as exc:
            # TikTok may have acted and the answer been lost (or a retry met "already
            # cancelled"): the order itself says what happened.
            if not self._cancelled_on_tiktok(tiktok_order_id):
                self._release_cancel_claim(tiktok_order_id, exc)
                if isinstance(exc, Rejected):
                    raise EngineError(
                        f"TikTok refused to cancel order {tiktok_order_id}: {exc.message}"
                    ) from exc
                raise EngineError(
                    f"Could not cancel order {tiktok_order_id} on TikTok ({exc.message}); "
                    "it is not cancelled. Try again in a moment."
                ) from exc
            outcome = "TikTok's answer was lost; the order shows cancelled"
        with transaction(self.sessions) as session:
            order = self._order(session, tiktok_order_id)
            queries.add_event(
                session,
                order_id=order.id,
                at=self.clock(),
                actor=actor,
                kind="cancelled",
                detail=f"{reason_key} ({outcome})",
            )
        self.refresh_orders([tiktok_order_id])
        return self.order(tiktok_order_id)

    def _cancelled_on_tiktok(self, tiktok_order_id: str) -> bool:
        try:
            orders = self.tiktok.get_orders([tiktok_order_id])
        except MarketplaceError:
            return False
        return any(o.id == tiktok_order_id and o.status == sections.CANCELLED for o in orders)

    def _release_cancel_claim(self, tiktok_order_id: str, exc: MarketplaceError) -> None:
        with transaction(self.sessions) as session:
            order = self._order(session, tiktok_order_id)
            order.cancel_requested_at = None
            order.cancel_requested_by = None
            queries.add_event(
                session,
                order_id=order.id,
                at=self.clock(),
                actor="tiktok",
                kind="cancel_refused" if isinstance(exc, Rejected) else "cancel_failed",
                detail=exc.message,
            )

    def retry(self, tiktok_order_id: str, *, actor: str) -> Order:
        now = self.clock()
        with transaction(self.sessions) as session:
            order = self._order(session, tiktok_order_id)
            if (
                order.placement != "failed"
                or order.failure_reason not in sections.PLACEMENT_FAILURES
            ):
                raise EngineError(
                    f"Order {tiktok_order_id} has no failed placement to retry "
                    f"(it is {sections.Section(order.section).title})."
                )
            self._reset_for_retry(session, order, actor, now)
        self._index = None  # the seller may have just fixed the listing
        self.try_settle()
        return self.order(tiktok_order_id)

    def _reset_for_retry(self, session, order: Order, actor: str, now: datetime) -> None:
        order.placement = "pending"
        order.failure_reason = None
        order.failure_detail = None
        refresh_section(session, order, now)
        queries.add_event(session, order_id=order.id, at=now, actor=actor, kind="retry")

    def map_sku(self, tiktok_sku: str, etsy_sku: str, *, actor: str) -> list[Order]:
        """Record a mapping, then retry the orders that failed on that SKU; returns them."""
        now = self.clock()
        with transaction(self.sessions) as session:
            queries.put_sku_mapping(
                session,
                shop_id=self.shop_id,
                tiktok_sku=tiktok_sku,
                etsy_sku=etsy_sku,
                actor=actor,
                now=now,
            )
            ids = queries.failed_order_ids_for_sku(
                session, shop_id=self.shop_id, tiktok_sku=tiktok_sku
            )
            orders = [session.get(Order, order_id) for order_id in ids]
            for order in orders:
                if order.failure_reason in sections.PLACEMENT_FAILURES:
                    self._reset_for_retry(session, order, actor, now)
            tiktok_ids = [order.tiktok_order_id for order in orders]
        self._index = None
        self.try_settle()
        return [self.order(order_id) for order_id in tiktok_ids]

    def restock(self, tiktok_order_id: str, *, actor: str) -> Order:
        """Give back the units of an order whose delivery failed (the parcel came back)."""
        now = self.clock()
        with transaction(self.sessions) as session:
            order = self._order(session, tiktok_order_id)
            if (
                order.failure_reason not in sections.DELIVERY_FAILURES
                or order.placement != "placed"
            ):
                raise EngineError(f"Order {tiktok_order_id} has no reserved stock to give back.")
            order.placement = "restock"
            queries.add_event(session, order_id=order.id, at=now, actor=actor, kind="restock")
        self.try_settle()
        return self.order(tiktok_order_id)

    def order(self, tiktok_order_id: str) -> Order:
        with self.sessions() as session:
            return self._order(session, tiktok_order_id)
