"""Stock push (SPEC §3.2): TikTok follows Etsy.

Once per fetch (after its settle), with ORDERBOT_STOCK_PUSH on, under the lease
`stock-push:<shop>`:

1. pushes a crash left `pending` become `unknown` (Update Inventory sets absolute quantities,
   so whether one went through does not matter: the SKU is simply owed a push again);
2. the TikTok catalogue is refreshed incrementally (`catalog`);
3. every live TikTok SKU is matched to its Etsy SKU in the stored SKU index, which the fetch's
   incremental refresh has just brought up to date (no Etsy call here), and orderbot's own
   writes since (the stock journal's landed intents); the target is Etsy's quantity less
   ORDERBOT_STOCK_BUFFER, never below 0 (`planning`);
4. SKUs whose target differs from what TikTok last took (or that never had a push) are set
   with one Update Inventory per product, pipelined within TikTok's rate limit (the client's
   limiter). Each push is recorded `pending` before the call and `done` / `failed` after it;
   the per-SKU errors of TikTok's partial-failure answer fail only their SKUs.

The state compared is stored, not what one refresh saw change, so however a cycle ends the
next one converges on Etsy's current quantity. The client retries 5xx and 429 itself; a push
that still fails is retried by the next cycles (`planning.RETRIES`), reported by an alert
(once per run of failures) and shown by `/orders stock`.
"""

import json
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from storage import queries
from storage.db import SessionFactory, transaction
from storage.models import EtsySku, StockPush, TikTokSku, column_length
from storage.states import PushState
from sync import metrics
from sync.clock import Clock, as_utc
from sync.errors import AuthFailed, MarketplaceError, Unavailable, one_line
from sync.leases import LeaseLost, Leases, new_holder
from sync.skus import INDEXED_STATES
from sync.stock_push.catalog import Catalog, CatalogRead, warehouses_of
from sync.stock_push.planning import (
    Target,
    by_product,
    etsy_sku_of,
    match,
    owed,
    written_since_read,
)
from sync.tiktok.client import TikTokClient
from sync.tiktok.products import SKUS_PER_UPDATE, InventoryUpdate, SkuError

log = logging.getLogger(__name__)

PIPELINE = 8  # Update Inventory calls in flight: at 150 ms each, about TikTok's 50 a second


@dataclass
class PushReport:
    """What one push cycle did."""

    skipped: str | None = None  # why it did not run
    catalog: CatalogRead | None = None
    matched: int = 0
    unmatched: int = 0
    owed: int = 0
    pushed: int = 0  # TikTok took them
    failed: int = 0
    calls: int = 0  # Update Inventory calls
    stopped: str | None = None  # why it stopped before the end (TikTok down, credentials)

    def text(self) -> str:
        if self.skipped:
            return f"not run: {self.skipped}"
        parts = [
            f"{self.pushed} of {_count(self.owed, 'SKU')} pushed in {_count(self.calls, 'call')}"
        ]
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.unmatched:
            parts.append(f"{_count(self.unmatched, 'TikTok SKU')} unmatched")
        if self.stopped:
            parts.append(f"stopped: {self.stopped}")
        return ", ".join(parts)


def _count(n: int, word: str) -> str:
    return f"{n:,} {word if n == 1 else word + 's'}"


@dataclass(frozen=True)
class SkuStock:
    """`/orders stock <sku>`: a SKU on both stores, and its last pushes."""

    sku: str
    tiktok: list[TikTokSku]  # the TikTok SKUs it names (by seller SKU, or mapped to it)
    tiktok_now: dict[str, int] | None  # sku id → available now (Inventory Search); None: unknown
    tiktok_error: str | None
    etsy_sku: str
    etsy: list[EtsySku]  # its rows in the SKU index (one per listing it is on)
    titles: dict[int, str]  # listing id → title
    pushes: list[StockPush]  # newest first
    enabled: bool
    buffer: int


@dataclass
class _Cycle:
    report: PushReport
    latest: dict[str, StockPush]
    lease: tuple[str, str]  # (name, holder): renewed before each call
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


class StockPusher:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        shop_id: int,
        tiktok: TikTokClient,
        leases: Leases,
        clock: Clock,
        enabled: bool = False,
        buffer: int = 0,
        lease_for: timedelta = timedelta(minutes=5),
        pipeline: int = PIPELINE,
    ):
        self.sessions = sessions
        self.shop_id = shop_id
        self.tiktok = tiktok
        self.leases = leases
        self.clock = clock
        self.enabled = enabled
        self.buffer = buffer
        self.lease_for = lease_for
        self.pipeline = pipeline
        self.catalog = Catalog(sessions=sessions, shop_id=shop_id, tiktok=tiktok, clock=clock)
        self.last: PushReport | None = None  # this process's last cycle (the fetch summary)

    def after_fetch(self) -> PushReport | None:
        """The fetch's hook: a cycle when push is on. Never raises: a push problem is the
        push's, not the fetch's (it is logged, alerted and shown by `/orders stock`)."""
        if not self.enabled:
            return None
        try:
            report = self.cycle()
        except Exception as exc:
            log.error("stock push stopped: %s", one_line(exc), exc_info=exc)
            report = PushReport(stopped=one_line(exc))
        log.info("stock push: %s", report.text())
        self.last = report
        return report

    def cycle(self) -> PushReport:
        name, holder = f"stock-push:{self.shop_id}", new_holder()
        if not self.leases.take(name, holder, hold_for=self.lease_for):
            return PushReport(skipped="another worker is pushing stock")
        try:
            return self._cycle((name, holder))
        finally:
            self.leases.release(name, holder)

    def _cycle(self, lease: tuple[str, str]) -> PushReport:
        report = PushReport()
        self._cut_short()
        if not self._index_built():
            report.skipped = "the Etsy SKU index is not built yet"
            return report
        try:
            report.catalog = self.catalog.refresh()
        except MarketplaceError as exc:  # push what the stored catalogue knows
            log.warning("tiktok catalogue not refreshed: %s", exc)
        targets = self._match(report)
        with self.sessions() as session:
            latest = queries.latest_pushes(session, shop_id=self.shop_id)
        todo = [target for target in targets if owed(target, latest.get(target.sku_id))]
        report.owed = len(todo)
        run = _Cycle(report, latest, lease)
        groups = by_product(todo, SKUS_PER_UPDATE)
        if groups:
            with ThreadPoolExecutor(max_workers=min(self.pipeline, len(groups))) as pool:
                list(pool.map(lambda group: self._push(group, run), groups))
        return report

    # --- before pushing ------------------------------------------------------------------

    def _cut_short(self) -> None:
        """Under the lease no push is under way: one still `pending` was cut short."""
        now = self.clock()
        with transaction(self.sessions) as session:
            for push in queries.pushes_in_state(
                session, shop_id=self.shop_id, state=PushState.PENDING
            ):
                queries.finish_push(
                    session,
                    push_id=push.id,
                    from_state=PushState.PENDING,
                    to_state=PushState.UNKNOWN,
                    now=now,
                    error="cut short before TikTok answered; pushed again",
                )

    def _index_built(self) -> bool:
        with self.sessions() as session:
            marks = queries.index_marks(session, shop_id=self.shop_id)
        return all(state in marks and marks[state].full_walk_at for state in INDEXED_STATES)

    def _match(self, report: PushReport) -> list[Target]:
        with self.sessions() as session:
            skus = queries.tiktok_skus(session, shop_id=self.shop_id)
            mappings = queries.sku_mappings(session, shop_id=self.shop_id)
            wanted = {etsy_sku_of(sku, mappings) for sku in skus if sku.seller_sku}
            entries = queries.sku_entries(session, shop_id=self.shop_id, skus=wanted)
            listings = queries.indexed_listings(
                session, shop_id=self.shop_id, listing_ids={row.listing_id for row in entries}
            )
            read_at = {lid: as_utc(row.read_at) for lid, row in listings.items()}
            writes = queries.writes_since(
                session,
                shop_id=self.shop_id,
                listing_ids=list(read_at),
                since=min(read_at.values(), default=self.clock()),
            )
        found = match(
            skus,
            mappings=mappings,
            entries=entries,
            buffer=self.buffer,
            warehouses={sku.sku_id: warehouses_of(sku) for sku in skus},
            written=written_since_read(writes, read_at),
        )
        bound = column_length(TikTokSku, "problem")
        with transaction(self.sessions) as session:
            for sku in skus:
                problem = found.problems.get(sku.sku_id)
                problem = problem[:bound] if problem else None
                if problem != sku.problem:
                    queries.set_sku_problem(
                        session, shop_id=self.shop_id, sku_id=sku.sku_id, problem=problem
                    )
        report.matched = len(found.targets)
        report.unmatched = sum(1 for problem in found.problems.values() if problem)
        return found.targets

    # --- pushing -------------------------------------------------------------------------

    def _push(self, group: Sequence[Target], run: _Cycle) -> None:
        """One Update Inventory for SKUs of one product: recorded before, finished after."""
        if run.stop.is_set():
            return  # TikTok is down or refuses the credentials: the next cycle pushes these
        name, holder = run.lease
        try:
            self.leases.renew(name, holder, hold_for=self.lease_for)
        except LeaseLost:  # another worker took over a cycle it thought dead: it pushes now
            run.stop.set()
            run.report.stopped = "another worker took the stock push over"
            return
        now = self.clock()
        with transaction(self.sessions) as session:
            rows = queries.add_pushes(
                session,
                pushes=[
                    StockPush(
                        shop_id=self.shop_id,
                        sku_id=t.sku_id,
                        product_id=t.product_id,
                        seller_sku=t.seller_sku,
                        etsy_sku=t.etsy_sku,
                        listing_id=t.listing_id,
                        etsy_quantity=t.etsy_quantity,
                        buffer=t.buffer,
                        quantity=t.quantity,
                        state=PushState.PENDING,
                        created_at=now,
                    )
                    for t in group
                ],
            )
            pushes = [(row.id, row.sku_id) for row in rows]
        with run.lock:
            run.report.calls += 1
        try:
            answer = self.tiktok.update_inventory(
                group[0].product_id, [t.inventory() for t in group]
            )
        except (AuthFailed, Unavailable) as exc:
            run.stop.set()
            run.report.stopped = why = str(exc)
            self._finish(pushes, run, lambda _sku: why)
        except MarketplaceError as exc:
            refused = str(exc)
            self._finish(pushes, run, lambda _sku: refused)
        except Exception as exc:  # an answer that could not be read: TikTok may have set them
            log.error("stock push: unreadable answer for %s", group[0].product_id, exc_info=exc)
            self._finish(pushes, run, None, error=one_line(exc))
        else:
            self._finish(pushes, run, lambda sku_id: _refusal(answer, sku_id))

    def _finish(self, pushes, run: _Cycle, why, *, error: str | None = None) -> None:
        """`why(sku_id)`: TikTok's refusal of that SKU, or None when it took it; `why` None:
        the outcome is unknown (the next cycle pushes again)."""
        now = self.clock()
        done = failed = 0
        with transaction(self.sessions) as session:
            for push_id, sku_id in pushes:
                refusal = why(sku_id) if why is not None else None
                if why is None:
                    state = PushState.UNKNOWN
                elif refusal is None:
                    state, done = PushState.DONE, done + 1
                else:
                    state, failed = PushState.FAILED, failed + 1
                previous = run.latest.get(sku_id)
                in_a_row = (
                    previous.failures if previous and previous.state == PushState.FAILED else 0
                )
                queries.finish_push(
                    session,
                    push_id=push_id,
                    from_state=PushState.PENDING,
                    to_state=state,
                    now=now,
                    error=refusal or error,
                    failures=in_a_row + 1 if state == PushState.FAILED else 0,
                )
        with run.lock:
            run.report.pushed += done
            run.report.failed += failed
        metrics.STOCK_PUSHES.labels("done").inc(done)
        metrics.STOCK_PUSHES.labels("failed").inc(failed)
        metrics.STOCK_PUSHES.labels("unknown").inc(len(pushes) - done - failed)

    # --- /orders stock -------------------------------------------------------------------

    def stock_of(self, sku: str) -> SkuStock:
        """The SKU (a TikTok seller SKU, or an Etsy SKU one is mapped to) on both stores: the
        index's Etsy quantity (no Etsy call), TikTok's available units now (one Inventory
        Search; the catalogue's last read when TikTok does not answer), the last pushes."""
        with self.sessions() as session:
            mappings = queries.sku_mappings(session, shop_id=self.shop_id)
            named = {sku} | {tiktok for tiktok, etsy in mappings.items() if etsy == sku}
            tiktok = queries.tiktok_skus_by_seller_sku(
                session, shop_id=self.shop_id, seller_skus=named
            )
            etsy_sku = mappings.get(sku, sku)
            etsy = queries.sku_entries(session, shop_id=self.shop_id, skus=[etsy_sku])
            listings = queries.indexed_listings(
                session, shop_id=self.shop_id, listing_ids=[row.listing_id for row in etsy]
            )
            pushes = queries.pushes_of_skus(
                session,
                shop_id=self.shop_id,
                seller_skus=sorted(named),
                sku_ids=[row.sku_id for row in tiktok],
                limit=5,
            )
        now, error = None, None
        try:
            if not tiktok:  # not catalogued (push off, or new since): ask TikTok (one call)
                tiktok = self._search(named)
            if tiktok:
                stock = self.tiktok.inventory_search(sku_ids=[row.sku_id for row in tiktok])
                now = {entry.sku_id: entry.available for entry in stock}
        except MarketplaceError as exc:
            error = str(exc)
        return SkuStock(
            sku=sku,
            tiktok=tiktok,
            tiktok_now=now,
            tiktok_error=error,
            etsy_sku=etsy_sku,
            etsy=sorted(etsy, key=lambda row: row.listing_id),
            titles={listing_id: row.title for listing_id, row in listings.items()},
            pushes=pushes,
            enabled=self.enabled,
            buffer=self.buffer,
        )

    def _search(self, seller_skus: set[str]) -> list[TikTokSku]:
        """TikTok's SKUs with these seller SKUs, as catalogue rows (not stored)."""
        found, read_at = [], self.clock()
        for page in self.tiktok.search_products(seller_skus=sorted(seller_skus), status=None):
            for product in page.products:
                found += [
                    TikTokSku(
                        shop_id=self.shop_id,
                        sku_id=sku.id,
                        product_id=product.id,
                        product_status=str(product.status),
                        seller_sku=sku.seller_sku,
                        warehouses=json.dumps([entry.warehouse_id for entry in sku.stock]),
                        quantity=sku.quantity,
                        read_at=read_at,
                    )
                    for sku in product.skus
                    if sku.seller_sku in seller_skus
                ]
        return found


def _refusal(answer: InventoryUpdate, sku_id: str) -> str | None:
    """TikTok's words for a SKU it did not set; an error naming no SKU fails them all."""
    errors = [e for e in answer.failed if e.sku_id == sku_id] or [
        e for e in answer.failed if e.sku_id is None
    ]
    return "; ".join(_words(error) for error in errors) or None


def _words(error: SkuError) -> str:
    head = f"{error.message or 'refused'} ({error.code})" if error.code else error.message
    details = [
        f"warehouse {w.warehouse_id or '?'}: {w.message}" + (f" ({w.code})" if w.code else "")
        for w in error.warehouses
    ]
    return head + (f" — {', '.join(details)}" if details else "")
