"""One fetch: page through TikTok's changed orders, store each page, then settle what is owed."""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy.exc import IntegrityError

from storage import queries
from storage.db import transaction
from sync import lifecycle, metrics
from sync.clock import to_unix
from sync.engine import cancel_claims, requests
from sync.engine.both_ends import ASCENDING, BothEnds, Stored
from sync.engine.context import EngineContext
from sync.engine.errors import FetchRunning, ShopBusy
from sync.engine.prefetch import Prefetch
from sync.engine.results import FetchProgress, FetchSummary, Tally
from sync.engine.settling import settle
from sync.errors import AuthFailed, MarketplaceError, one_line
from sync.ingest import ingest
from sync.leases import LeaseLost, holder_name, new_holder

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class FetchRun:
    """One fetch under way: the lease it holds and what it has done so far."""

    ctx: EngineContext
    holder: str
    report: Callable[[FetchProgress], None]
    summary: FetchSummary
    tally: Tally = field(default_factory=Tally)

    @property
    def lease(self) -> str:
        return f"fetch:{self.ctx.shop_id}"


def fetch(ctx: EngineContext, progress: Callable[[FetchProgress], None] | None) -> FetchSummary:
    """Store every order changed since the last fetch, page by page, then settle
    what is owed."""
    run = FetchRun(ctx, new_holder(), progress or (lambda _p: None), FetchSummary(ctx.clock()))
    run.tally.index.eager = True  # one index refresh per fetch, however little it finds
    if not ctx.leases.take(run.lease, run.holder, hold_for=ctx.lease_for):
        other = ctx.leases.holder_of(run.lease)
        by_whom = f" by {holder_name(other)}" if other else ""
        raise FetchRunning(f"A fetch is already running for this shop{by_whom}; try again soon.")
    try:
        fetch_window(run)
    except (MarketplaceError, LeaseLost, ShopBusy) as exc:
        run.summary.error = why_it_stopped(exc)
        log.warning("fetch stopped: %s", exc)
    except Exception as exc:  # a bug, a database error, a bad setting: a failed fetch all the same
        run.summary.error = why_it_stopped(exc)
        log.error("fetch failed: %s", run.summary.error, exc_info=exc)
    except BaseException:  # interrupted (Ctrl-C, shutdown): not a good fetch either
        run.summary.error = "the fetch was interrupted; nothing was lost."
        raise
    finally:
        close(run)
    summary = run.summary
    run.report(progress_of(summary, run.tally, done=True))
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


def fetch_window(run: FetchRun) -> None:
    ctx, summary = run.ctx, run.summary
    start, window_end = window(ctx, summary.started_at)
    pages = BothEnds(
        lambda sort_order: ctx.tiktok.search_orders(
            update_time_ge=start,
            update_time_lt=window_end,
            page_size=100,
            sort_field="update_time",
            sort_order=sort_order,
        )
    )
    # The index refresh (Etsy) runs while TikTok is paged (and its pages detailed, see
    # Prefetch): the two marketplaces' limits are separate.
    index_refresh = Background(lambda: ctx.skus.start(run.tally.index))
    try:
        store_pages(run, pages)
    except BaseException:
        index_refresh.join(quiet=True)  # not left running past the fetch's lease
        raise
    index_refresh.join()
    cancel_claims.settle_stale(ctx)  # before the settle, which gives their stock back
    # Returns and buyer requests are read from TikTok while the settle writes to Etsy, and
    # stored after it, before the 14-day rule is applied.
    changed = Background(lambda: requests.read_changed(ctx))
    try:
        # One settle, once every page is stored: it places all of them with one inventory
        # write per listing they touch (SPEC §3.1), not one per listing per batch of orders.
        settle(ctx, run.tally, run.holder)
    except BaseException:
        changed.join(quiet=True)
        raise
    requests.follow(ctx, changed.join())
    summary.completed = lifecycle.complete_due(ctx.sessions, shop_id=ctx.shop_id, now=ctx.clock())
    save_cursor(ctx, window_end)


def store_pages(run: FetchRun, pages: BothEnds) -> None:
    ctx, summary = run.ctx, run.summary
    ascending_until: int | None = None
    stored = Stored()
    # The next pages, and their details, are fetched while this one is stored.
    with Prefetch(pages.chains(), lambda page: with_details(ctx, page.orders)) as prefetched:
        for chain, page, detailed in prefetched:
            # Nothing is stored without the lease: another fetch may have it now.
            ctx.leases.renew(run.lease, run.holder, hold_for=ctx.lease_for)
            orders = stored.not_yet(chain, detailed)  # where the chains met, stored once
            result = store_page(ctx, orders)
            summary.pages += 1
            summary.orders += len(orders)
            summary.skipped.extend(
                s for s in [*page.skipped, *result.unreadable] if s not in summary.skipped
            )
            summary.new += result.new
            summary.updated += result.updated
            # The cursor may move only past pages known to be complete: with pages in
            # ascending update_time, everything before this page's newest is stored.
            if (
                chain == ASCENDING
                and result.max_update_time is not None
                and (ascending_until is None or result.min_update_time >= ascending_until)
            ):
                ascending_until = result.max_update_time
                save_cursor(ctx, ascending_until)
            run.report(progress_of(summary, run.tally))


def window(ctx: EngineContext, started_at: datetime) -> tuple[int, int]:
    """The update times to ask for: from the cursor (less an overlap, for orders TikTok
    indexed late) or the lookback, up to now."""
    with transaction(ctx.sessions) as session:
        state = queries.fetch_state(session, shop_id=ctx.shop_id)
        state.last_started_at = started_at
        cursor = state.cursor
    end = to_unix(started_at) + 1  # `lt` is exclusive: include now
    if cursor is not None:
        return cursor - ctx.overlap_s, end
    return to_unix(started_at - ctx.lookback), end


def why_it_stopped(exc: Exception) -> str:
    if isinstance(exc, AuthFailed):
        # Retrying will not help (a refresh token may be spent): the seller has to act.
        return (
            f"{exc} — {exc.platform} no longer accepts orderbot's credentials: authorise "
            "the app again and put the new tokens in the settings. Nothing was lost."
        )
    if isinstance(exc, MarketplaceError):
        return f"{exc} — nothing was lost; the next fetch resumes from here."
    if isinstance(exc, (LeaseLost, ShopBusy)):
        # Going on could run two fetches (or stock movers) at once.
        return f"{exc} — the fetch stopped; nothing was lost."
    return f"{one_line(exc)} — the fetch stopped; nothing was lost. The log has the details."


def close(run: FetchRun) -> None:
    summary, tally = run.summary, run.tally
    summary.finished_at = run.ctx.clock()
    summary.placed, summary.failed = tally.placed, dict(tally.failed)
    summary.restored = tally.restored
    summary.index = tally.index.note()
    quota = run.ctx.skus.quota()
    if quota is not None:
        summary.etsy_quota_left, summary.etsy_quota_limit = (
            quota.remaining_today,
            quota.limit_per_day,
        )
    record_fetch(run.ctx, summary)
    run.ctx.leases.release(run.lease, run.holder)
    metrics.FETCH_SECONDS.observe(summary.duration_s)
    metrics.FETCHES.labels("error" if summary.error else "ok").inc()


def progress_of(summary: FetchSummary, tally: Tally, done: bool = False) -> FetchProgress:
    return FetchProgress(
        pages=summary.pages,
        orders=summary.orders,
        placed=tally.placed,
        failed=sum(tally.failed.values()),
        done=done,
    )


def store_page(ctx: EngineContext, orders):
    for attempt in (1, 2):
        try:
            with transaction(ctx.sessions) as session:
                return ingest(session, shop_id=ctx.shop_id, orders=orders, now=ctx.clock())
        except IntegrityError:
            # Another writer (a webhook refresh) inserted one of these orders first.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def with_details(ctx: EngineContext, orders):
    """New orders as Get Order Detail gives them: in 202309 only the detail carries a
    combined-listing item's components (`combined_listing_skus`), and line items are
    stored once, when the order is first seen."""
    with ctx.sessions() as session:
        stored = queries.orders_by_tiktok_ids(
            session, tiktok_order_ids=[order.id for order in orders]
        )
    new_ids = [order.id for order in orders if order.id not in stored]
    if not new_ids:
        return orders
    detailed = {order.id: order for order in ctx.tiktok.get_orders(new_ids)}
    return [detailed.get(order.id, order) for order in orders]


class Background(Generic[T]):
    """`work()` on a thread of its own from now; `join()` waits for it and returns what it
    returned or raises what it raised (`quiet`: logs it, for a fetch already stopping)."""

    def __init__(self, work: Callable[[], T]):
        self._error: BaseException | None = None
        self._value: T | None = None

        def run() -> None:
            try:
                self._value = work()
            except BaseException as exc:  # handed to join()
                self._error = exc

        self._thread = threading.Thread(target=run, name="fetch-background", daemon=True)
        self._thread.start()

    def join(self, quiet: bool = False) -> T | None:
        self._thread.join()
        if self._error is not None and not quiet:
            raise self._error
        if self._error is not None:
            log.warning("stopped beside another error: %s", one_line(self._error))
        return self._value


def save_cursor(ctx: EngineContext, cursor: int) -> None:
    with transaction(ctx.sessions) as session:
        state = queries.fetch_state(session, shop_id=ctx.shop_id)
        if state.cursor is None or cursor > state.cursor:
            state.cursor = cursor


def record_fetch(ctx: EngineContext, summary: FetchSummary) -> None:
    with transaction(ctx.sessions) as session:
        state = queries.fetch_state(session, shop_id=ctx.shop_id)
        state.last_finished_at = summary.finished_at
        state.last_summary = summary.to_json()
        state.last_error = summary.error
        if summary.error is None:
            state.last_ok_at = summary.finished_at
