"""The order engine: fetch TikTok orders, place them on Etsy, give stock back, complete.

Everything the engine owes (placements, restores, unfinished stock writes, cancellation
reasons) is derived from what is stored, so a crash or an outage at any point is resumed by
the next run, and nothing is done twice. `Engine` is the one entry point; the work is done by
the modules of this package:

- `fetching`: the fetch loop (pages, cursor, order details, the fetch record);
- `settling`: everything owed, in order, under the shop's stock lease;
- `placing`: a batch of pending orders planned, journalled and written;
- `stock_writes`: Etsy inventory writes, finishing their intents, reconciling unfinished ones;
- `restoring`: cancellation reasons, stock owed back, what cannot be given back;
- `actions`: cancel, retry, map a SKU, restock, look an order up;
- `cancel_claims`: cancel claims a crash left behind, settled from TikTok;
- `requests`, `answers`, `restocks`: returns, refunds and buyer cancellation requests
  followed, answered, and their returned units given back when asked.
- `shipping`: ship a seller-shipped order on TikTok, or correct its tracking, once.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from storage.db import SessionFactory
from storage.models import AfterSalesRequest, Order
from storage.states import RequestKind
from sync.clock import Clock, utc_now
from sync.engine import (
    actions,
    answers,
    cancel_claims,
    fetching,
    requests,
    restocks,
    settling,
    shipping,
)
from sync.engine.context import EngineContext
from sync.engine.errors import EngineError, FetchRunning, MappingRefused, OrderNotFound, ShopBusy
from sync.engine.results import FetchProgress, FetchSummary, Tally
from sync.engine.shipping import ShipOutcome, ShipPlan, ShipRefused
from sync.errors import MarketplaceError
from sync.etsy.client import EtsyClient
from sync.etsy_index import EtsyIndex, IndexPass
from sync.leases import Leases
from sync.logcontext import operation
from sync.quota import DEFAULT_RESERVE, QuotaPolicy
from sync.stock_push import StockPusher
from sync.tiktok.client import TikTokClient

log = logging.getLogger(__name__)

__all__ = [
    "Engine",
    "EngineError",
    "FetchProgress",
    "FetchRunning",
    "FetchSummary",
    "MappingRefused",
    "OrderNotFound",
    "ReasonRefused",
    "RequestNotFound",
    "ShopBusy",
    "ShipOutcome",
    "ShipPlan",
    "ShipRefused",
]

ReasonRefused = answers.ReasonRefused
RequestNotFound = restocks.RequestNotFound


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
        quota_reserve: int = DEFAULT_RESERVE,
        index_full_every: timedelta = timedelta(days=1),
        index_rebuild_gap: timedelta = timedelta(hours=1),
        lease_s: int = 300,
        settle_wait_s: float = 60.0,
        leases: Leases | None = None,
        stock_push: bool = False,
        stock_buffer: int = 0,
    ):
        self.sessions = sessions
        self.shop_id = shop_id
        self.tiktok = tiktok
        self.clock = clock
        self.leases = leases or Leases(sessions, clock)
        self.lease_for = timedelta(seconds=lease_s)
        self.ctx = EngineContext(
            sessions=sessions,
            shop_id=shop_id,
            tiktok=tiktok,
            etsy=etsy,
            clock=clock,
            leases=self.leases,
            lookback=timedelta(days=lookback_days),
            overlap_s=overlap_s,
            batch_size=batch_size,
            lease_for=self.lease_for,
            settle_wait_s=settle_wait_s,
            skus=EtsyIndex(
                sessions=sessions,
                shop_id=shop_id,
                etsy=etsy,
                clock=clock,
                leases=self.leases,
                policy=QuotaPolicy(reserve=quota_reserve),
                full_every=index_full_every,
                rebuild_gap=index_rebuild_gap,
                lease_for=self.lease_for,
                wait_s=settle_wait_s,
            ),
        )
        self.stock = StockPusher(  # SPEC §3.2: TikTok follows Etsy, once per fetch
            sessions=sessions,
            shop_id=shop_id,
            tiktok=tiktok,
            leases=self.leases,
            clock=clock,
            enabled=stock_push,
            buffer=stock_buffer,
            lease_for=self.lease_for,
        )

    def fetch(self, progress: Callable[[FetchProgress], None] | None = None) -> FetchSummary:
        """One fetch: store every changed order page by page, then place, restore, complete."""
        with operation("fetch"):
            summary = fetching.fetch(self.ctx, progress)
            pushed = self.stock.after_fetch()  # after the fetch's settle: the index is fresh
            summary.stock_push = pushed.text() if pushed else None
            return summary

    def refresh_orders(self, tiktok_order_ids: list[str]) -> None:
        """Re-read single orders (webhooks, after a cancel), then settle what they changed."""
        orders = self.tiktok.get_orders(tiktok_order_ids)
        if orders:
            fetching.store_page(self.ctx, orders)
        self.try_settle()

    def try_settle(self, index: IndexPass | None = None) -> bool:
        """Settle now unless another worker is; it will see the same stored state."""
        return settling.try_settle(self.ctx, Tally(index=index or IndexPass()))

    def cancel(self, tiktok_order_id: str, reason_key: str, *, actor: str) -> Order:
        """Cancel on TikTok once, then read the order back and give its stock back."""
        actions.cancel(self.ctx, tiktok_order_id, reason_key, actor=actor)
        self.refresh_orders([tiktok_order_id])
        return self.order(tiktok_order_id)

    def settle_cancel_claims(self) -> cancel_claims.SettledClaims:
        """Settle cancel claims a crash left behind (the refresh job; a fetch does it too)."""
        settled = cancel_claims.settle_stale(self.ctx)
        if settled.cancelled:
            self.try_settle()  # their stock comes back
        return settled

    def settle_ship_claims(self) -> int:
        """Settle ships and corrections whose answer was lost (the refresh job): recorded as
        done when TikTok shows them, released when it does not; how many were settled."""
        return shipping.settle_stale(self.ctx)

    def retry(self, tiktok_order_id: str, *, actor: str) -> Order:
        actions.retry(self.ctx, tiktok_order_id, actor=actor)
        self.try_settle(self._forced_refresh())
        return self.order(tiktok_order_id)

    def map_sku(self, tiktok_sku: str, etsy_sku: str, *, actor: str) -> list[Order]:
        """Record a mapping to an Etsy SKU on exactly one listing, then retry the orders
        that failed on that SKU; returns them. Any other SKU is refused (`MappingRefused`,
        with the nearest SKUs of the index) and nothing is recorded."""
        index = self._forced_refresh(needed=[etsy_sku])
        try:
            retried = actions.map_sku(self.ctx, tiktok_sku, etsy_sku, actor=actor)
        except MappingRefused as refused:
            if not index.held:
                raise
            # The index may be behind Etsy: say so rather than only that the SKU is not there.
            raise MappingRefused(
                f"{refused} The SKU index was behind: {index.note()}."
            ) from refused
        self.try_settle(index)
        return [self.order(order_id) for order_id in retried]

    def _forced_refresh(self, needed: list[str] | None = None) -> IndexPass:
        """An incremental pass first (the seller may have just fixed a listing or added a
        SKU). An Etsy outage leaves the stored index to use; placing meets it by itself."""
        run = IndexPass()
        try:
            self.ctx.skus.refresh(run, needed=needed or ())
        except MarketplaceError as exc:
            log.warning("sku index not refreshed: %s", exc)
        return run

    def unmap_sku(self, tiktok_sku: str, *, actor: str) -> str:
        """Remove the mapping of a TikTok SKU; returns the Etsy SKU it was mapped to."""
        return actions.unmap_sku(self.ctx, tiktok_sku, actor=actor)

    def search_etsy_skus(self, text: str, limit: int) -> list[tuple[str, str, int]]:
        """(SKU, listing title, quantity) of the indexed Etsy SKUs containing `text` that a
        mapping could use; from the stored index, no Etsy call."""
        return self.ctx.skus.search(text, limit)

    def restock(self, tiktok_order_id: str, *, actor: str) -> Order:
        """Give back the units of an order whose delivery failed (the parcel came back)."""
        actions.restock(self.ctx, tiktok_order_id, actor=actor)
        self.try_settle()
        return self.order(tiktok_order_id)

    def order(self, tiktok_order_id: str) -> Order:
        return actions.look_up(self.ctx, tiktok_order_id)

    # --- returns, refunds and buyer cancellation requests (SPEC §4.2) ----------------------

    def refresh_pushed(self, tiktok_order_ids: list[str]) -> None:
        """What a push names: the orders re-read, then their requests."""
        self.refresh_orders(tiktok_order_ids)
        requests.follow_orders(self.ctx, tiktok_order_ids)

    def follow_requests(self, tiktok_order_ids: list[str]) -> None:
        """Re-read every return, refund and cancellation request of these orders."""
        requests.follow_orders(self.ctx, tiktok_order_ids)

    def request(self, request_id: str) -> AfterSalesRequest:
        return restocks.look_up(self.ctx, request_id)

    def approve_request(self, request_id: str, *, actor: str) -> AfterSalesRequest:
        """Approve on TikTok once; an approved buyer cancellation cancels the order, whose
        units come back as for any cancellation."""
        with operation("approve_request"):
            row = answers.approve(self.ctx, request_id, actor=actor)
            if row.kind == RequestKind.CANCELLATION:
                try:
                    self.refresh_orders([row.tiktok_order_id])
                except MarketplaceError as exc:  # the next fetch reads it
                    log.warning("order %s not re-read: %s", row.tiktok_order_id, exc)
            return self.request(request_id)

    def reject_reasons(self, request_id: str):
        """(the request as TikTok shows it now, TikTok's reject reasons for it)."""
        return answers.reject_reasons(self.ctx, request_id)

    def reject_request(self, request_id: str, reason: str, *, actor: str) -> AfterSalesRequest:
        with operation("reject_request"):
            return answers.reject(self.ctx, request_id, reason, actor=actor)

    def restock_request(self, request_id: str, *, actor: str) -> AfterSalesRequest:
        """Give back the units of a return whose parcel came back (asked once)."""
        restocks.ask(self.ctx, request_id, actor=actor)
        restocks.settle(self.ctx)
        return self.request(request_id)

    def ship_plan(self, tiktok_order_id: str) -> ShipPlan:
        """What the Ship… form offers for the order: its carriers (asked of TikTok) and the
        items still to ship; `ShipRefused` when it cannot be shipped from here."""
        return shipping.plan(self.ctx, tiktok_order_id)

    def ship(
        self,
        tiktok_order_id: str,
        carrier: str,
        tracking_number: str,
        *,
        line_ids: list[str] | None = None,
        actor: str,
    ) -> ShipOutcome:
        """Mark the order (or these line items) shipped on TikTok, once; an order shipped
        already gets its one tracking correction instead (SPEC §4.1)."""
        with operation("ship"):
            return shipping.ship(
                self.ctx, tiktok_order_id, carrier, tracking_number, line_ids=line_ids, actor=actor
            )
