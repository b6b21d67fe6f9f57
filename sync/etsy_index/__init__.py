"""The shop's SKU index, kept in the database and shared by every process on it.

A refresh pages each indexed state newest-updated first (`sort_on=updated`) down to the
state's watermark, so a fetch that finds nothing new costs one call per state. The whole
shop is walked only by a full rebuild: the first, a daily one, one when Etsy's pages are not
newest-first (Etsy reference §6.1: `sort_on` may be ignored), and one when a SKU a run needs
is still missing after the incremental pass (once per run, and not within `rebuild_gap` of
the last). A listing that changed state shows in its new state's walk; one that left every
indexed state is dropped when a full rebuild misses it and a read by id confirms it gone,
or sooner, when a SKU a run needs is on several listings and reading those by id shows one
gone. While Etsy's daily quota is low, refreshes wait (`sync.quota`): placing uses the
stored index.

Refreshes hold the lease `sku-index:<shop>`; one that had to wait for another worker's
refresh uses that one instead of paging again.
"""

import logging
from collections.abc import Callable, Collection
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from storage import queries
from storage.db import SessionFactory, transaction
from sync.clock import Clock, to_unix
from sync.etsy.client import EtsyClient
from sync.etsy_index.runs import IndexPass, Refresh, RefreshKind
from sync.etsy_index.store import Changes, SkuChange, drop_listings, keep_reads
from sync.etsy_index.walks import NotNewestFirst, Walk, read_by_ids, walk_changed, walk_state
from sync.leases import Leases, new_holder
from sync.quota import Quota, QuotaPolicy, freshest
from sync.skus import INDEXED_STATES, Lookup, Missing, SkuEntry, SkuIndex, nearest

__all__ = ["Changes", "EtsyIndex", "IndexPass", "Refresh", "RefreshKind", "SkuChange"]

log = logging.getLogger(__name__)

# Etsy's timestamps are whole seconds on Etsy's clock: a second this far behind ours is over.
SETTLED_S = 120


class EtsyIndex:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        shop_id: int,
        etsy: EtsyClient,
        clock: Clock,
        leases: Leases,
        policy: QuotaPolicy | None = None,
        full_every: timedelta = timedelta(days=1),
        rebuild_gap: timedelta = timedelta(hours=1),
        lease_for: timedelta = timedelta(minutes=5),
        wait_s: float = 60.0,
    ):
        self.sessions = sessions
        self.shop_id = shop_id
        self.etsy = etsy
        self.clock = clock
        self.leases = leases
        self.policy = policy or QuotaPolicy()
        self.full_every = full_every
        self.rebuild_gap = rebuild_gap
        self.lease_for = lease_for
        self.wait_s = wait_s

    # --- reading the stored index --------------------------------------------------------

    def stored(self, skus: Collection[str]) -> SkuIndex:
        """The stored entries of these SKUs, for lookups."""
        with self.sessions() as session:
            rows = queries.sku_entries(session, shop_id=self.shop_id, skus=set(skus))
        return SkuIndex(SkuEntry(r.sku, r.listing_id, r.quantity, r.problem) for r in rows)

    def lookup(self, sku: str) -> Lookup:
        return self.stored([sku]).lookup(sku)

    def nearest(self, sku: str, n: int = 5) -> list[str]:
        """The stored SKUs most like `sku` (`sync.skus.nearest`)."""
        with self.sessions() as session:
            return nearest(sku, queries.indexed_skus(session, shop_id=self.shop_id), n)

    def search(self, text: str, limit: int) -> list[tuple[str, str, int]]:
        """(SKU, listing title, quantity) of the stored SKUs containing `text` that a
        mapping could use (on one listing, with one stock level)."""
        with self.sessions() as session:
            return queries.search_indexed_skus(
                session, shop_id=self.shop_id, text=text, limit=limit
            )

    # --- Etsy's quota --------------------------------------------------------------------

    def quota(self) -> Quota | None:
        """The newest reading: this process's last Etsy answer, or another process's."""
        with self.sessions() as session:
            row = queries.etsy_quota(session, shop_id=self.shop_id)
        stored = Quota(row.remaining_today, row.limit_per_day, row.seen_at) if row else None
        return freshest(self.etsy.quota, stored)

    def save_quota(self) -> None:
        quota = self.etsy.quota
        if quota is None:
            return
        for attempt in (1, 2):
            try:
                with transaction(self.sessions) as session:
                    queries.save_etsy_quota(
                        session,
                        shop_id=self.shop_id,
                        remaining_today=quota.remaining_today,
                        limit_per_day=quota.limit_per_day,
                        seen_at=quota.seen_at,
                    )
                return
            except IntegrityError:  # another process stored the first reading meanwhile
                if attempt == 2:
                    raise

    def _quota_ok(self) -> bool:
        """Asked after every page of a walk: this process's newest answer decides."""
        return not self.policy.low(self.etsy.quota, self.clock())

    # --- refreshing ----------------------------------------------------------------------

    def start(self, run: IndexPass) -> None:
        """Where a run starts placing: an eager run's refresh."""
        if run.eager and not run.refreshed:
            self.refresh(run)

    def index_for(self, skus: Collection[str], run: IndexPass) -> SkuIndex:
        """The stored index for these SKUs; one that is missing, or on several listings,
        gets the run's refresh first (if it has not had what would help)."""
        index = self.stored(skus)
        if self._would_help(index, skus, run):
            self.refresh(run, needed=skus)
            index = self.stored(skus)
        return index

    def _would_help(self, index: SkuIndex, skus: Collection[str], run: IndexPass) -> bool:
        if run.held:
            return False
        if self._spread(index, skus) - run.checked:
            return True
        if not any(isinstance(index.lookup(sku), Missing) for sku in skus):
            return False
        return not run.refreshed or (not run.rebuilt and self._rebuild_allowed())

    def refresh(self, run: IndexPass | None = None, *, needed: Collection[str] = ()) -> IndexPass:
        """The run's incremental pass (a full walk when one is due), then for `needed` SKUs:
        a full rebuild when one is still missing, a read by id of the listings one is
        spread over. Returns the run, which records what was done."""
        run = run or IndexPass()
        asked_at = self.clock()
        with self.sessions() as session:
            marks = queries.index_marks(session, shop_id=self.shop_id)
        built = self._built(marks)
        quota = self.quota()
        if built and self.policy.low(quota, asked_at):
            if not run.held:
                run.held = run.refreshed = True
                run.record(Refresh(RefreshKind.SKIPPED, f"only {quota.text()}"))
            return run
        holder = new_holder()
        name = f"sku-index:{self.shop_id}"
        if not self.leases.take_waiting(name, holder, hold_for=self.lease_for, wait_s=self.wait_s):
            run.held = run.refreshed = True
            run.record(Refresh(RefreshKind.SKIPPED, "another worker kept the index busy"))
            return run
        try:
            self._refresh_held(run, needed, asked_at, keep_going=self._quota_ok if built else None)
        finally:
            self.leases.release(name, holder)
            self.save_quota()
        return run

    def _refresh_held(
        self,
        run: IndexPass,
        needed: Collection[str],
        asked_at: datetime,
        keep_going: Callable[[], bool] | None,
    ) -> None:
        keep_going = keep_going or (lambda: True)  # a first build runs whatever the quota
        if not run.refreshed:
            run.refreshed = True
            with self.sessions() as session:
                marks = queries.index_marks(session, shop_id=self.shop_id)
            if any(m.refreshed_at and m.refreshed_at > asked_at for m in marks.values()):
                run.record(Refresh(RefreshKind.SHARED))  # it waited for that worker's pass
            elif run.record(self._pass(marks, keep_going)).kind == RefreshKind.FULL:
                run.rebuilt = True
        if not needed:
            return
        index = self.stored(needed)
        missing = sorted(sku for sku in needed if isinstance(index.lookup(sku), Missing))
        if missing and not run.rebuilt and self._rebuild_allowed():
            run.rebuilt = True
            why = f"SKU {', '.join(missing[:3])} not in the index"
            run.record(self._full(why, keep_going))
            index = self.stored(needed)
        spread = self._spread(index, needed) - run.checked
        if spread:
            run.checked |= spread
            run.record(self._check(spread, keep_going))

    def _pass(self, marks: dict, keep_going: Callable[[], bool]) -> Refresh:
        due = self._full_due(marks)
        if due:
            return self._full(due, keep_going)
        walk = Walk(keep_going)
        started = self.etsy.requests
        try:
            for state in INDEXED_STATES:
                if walk.stopped:
                    break
                walk_changed(self.etsy, state, marks[state].watermark or 0, walk)
        except NotNewestFirst as exc:
            log.warning(
                "etsy: %s listings asked newest-updated first came back in another order;"
                " walking the whole shop instead",
                exc,
            )
            why = "Etsy did not list them newest-updated first"
            return self._full(why, keep_going, started)
        return self._keep(RefreshKind.INCREMENTAL, "", walk, started)

    def _full(
        self, why: str, keep_going: Callable[[], bool], started: int | None = None
    ) -> Refresh:
        """`started`: the client's request count when the pass began (the calls of an
        incremental pass that gave up count too)."""
        started = self.etsy.requests if started is None else started
        walk = Walk(keep_going)
        for state in INDEXED_STATES:
            if walk.stopped:
                break
            walk_state(self.etsy, state, walk)
        gone: set[int] = set()
        if not walk.stopped:
            with self.sessions() as session:
                stored = queries.indexed_listings(session, shop_id=self.shop_id)
            unseen = set(stored) - set(walk.reads)
            # A listing can slip between pages when another leaves its state mid-walk:
            # only one Etsy no longer shows in an indexed state is dropped.
            gone = read_by_ids(self.etsy, unseen, walk) if unseen else set()
        return self._keep(RefreshKind.FULL, why, walk, started, gone=gone, full=not walk.stopped)

    def _check(self, listing_ids: set[int], keep_going: Callable[[], bool]) -> Refresh:
        walk, started = Walk(keep_going), self.etsy.requests
        gone = read_by_ids(self.etsy, listing_ids, walk)
        why = "a SKU needed is on several listings"
        return self._keep(RefreshKind.CHECKED, why, walk, started, gone=gone, read=len(listing_ids))

    def _keep(
        self,
        kind: RefreshKind,
        why: str,
        walk: Walk,
        started: int,
        *,
        gone: set[int] = frozenset(),
        full: bool = False,
        read: int | None = None,
    ) -> Refresh:
        now = self.clock()
        with transaction(self.sessions) as session:
            changes = keep_reads(
                session,
                shop_id=self.shop_id,
                reads=list(walk.reads.values()),
                now=now,
                all_stored=kind == RefreshKind.FULL,
            )
            changes.merge(drop_listings(session, shop_id=self.shop_id, listing_ids=gone))
            for state in walk.complete if kind != RefreshKind.CHECKED else ():
                queries.save_index_mark(
                    session,
                    shop_id=self.shop_id,
                    state=state,
                    watermark=self._watermark(walk.newest.get(state), now),
                    refreshed_at=now,
                    full_walk_at=now if full else None,
                )
        if changes.listings or changes.dropped:
            log.info(
                "sku index %s: %d listing(s) changed, %d dropped, %d SKU change(s)",
                kind,
                len(changes.listings),
                len(changes.dropped),
                len(changes.skus),
            )
        return Refresh(
            kind,
            why,
            calls=self.etsy.requests - started,
            read=len(walk.reads) if read is None else read,
            changes=changes,
            complete=not walk.stopped,
        )

    # --- when ----------------------------------------------------------------------------

    @staticmethod
    def _watermark(newest: int | None, now: datetime) -> int | None:
        """Where the next pass starts reading: at the newest change read, so one made later
        in that same second is not missed; past it once that second is SETTLED_S behind
        (nothing can change in it any more), so listings a bulk edit left in one second are
        not read again on every pass."""
        if newest is None:
            return None
        return newest + 1 if to_unix(now) - newest >= SETTLED_S else newest

    @staticmethod
    def _built(marks: dict) -> bool:
        return all(state in marks and marks[state].full_walk_at for state in INDEXED_STATES)

    def _last_full(self, marks: dict) -> datetime | None:
        if not self._built(marks):
            return None
        return min(marks[state].full_walk_at for state in INDEXED_STATES)

    def _full_due(self, marks: dict) -> str | None:
        last = self._last_full(marks)
        if last is None:
            return "first build"
        if self.clock() - last >= self.full_every:
            return "daily rebuild"
        return None

    def _rebuild_allowed(self) -> bool:
        with self.sessions() as session:
            last = self._last_full(queries.index_marks(session, shop_id=self.shop_id))
        return last is None or self.clock() - last >= self.rebuild_gap

    @staticmethod
    def _spread(index: SkuIndex, skus: Collection[str]) -> set[int]:
        """The listings of the SKUs that are on more than one."""
        return {
            listing_id
            for sku in skus
            if len(listings := index.listings_of(sku)) > 1
            for listing_id in listings
        }
