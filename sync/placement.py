"""Planning a batch of placements: what each order needs from Etsy, and whether it fits.

Pure functions; the engine does the I/O. Placement is all or nothing per order: an order that
cannot be placed whole reserves nothing. Orders are served in the order given (oldest first),
each from what the orders before it left of every stock pool.
"""

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from storage.states import FailureReason
from sync.journal import Change
from sync.pools import Pool, ambiguity, pools
from sync.sections import CANCELLED
from sync.skus import Ambiguous, Found, Missing, SkuIndex


@dataclass(frozen=True)
class Need:
    """Units of one SKU an order line takes from Etsy."""

    line_id: int
    tiktok_sku: str
    etsy_sku: str | None
    units: int


@dataclass(frozen=True)
class Failure:
    reason: FailureReason  # one of sections.PLACEMENT_FAILURES
    detail: str


@dataclass(frozen=True)
class Take:
    """A resolved need: these units come off this listing's products with this SKU."""

    need: Need
    listing_id: int


def component_sku_ids(lines) -> set[str]:
    """Bundle components TikTok sent without a seller SKU (to be looked up by sku_id)."""
    return {part.sku_id for line in lines for part in line.components() if not part.seller_sku}


def needs_of(
    lines, mappings: dict[str, str], seller_skus: dict[str, str] | None = None
) -> list[Need]:
    """Every unit an order needs. A combined-listing line stands for `sku_count` units of each
    component; other lines are one unit each (TikTok has no quantity field). `seller_skus`
    maps sku_id → seller_sku for components that carry only their sku_id."""
    seller_skus = seller_skus or {}
    result = []
    for line in lines:
        if line.display_status == CANCELLED:
            continue  # cancelled on its own (a partial cancel): its unit is not sold
        parts = line.components()
        if parts:
            for part in parts:
                seller = part.seller_sku or seller_skus.get(part.sku_id)
                key = seller or part.sku_id
                etsy = mappings.get(key) or mappings.get(part.sku_id) or seller
                result.append(Need(line.id, key, etsy or None, part.sku_count))
            continue
        key = line.seller_sku or line.sku_id
        etsy = mappings.get(key) or mappings.get(line.sku_id) or line.seller_sku
        result.append(Need(line.id, key, etsy or None, 1))
    return result


def resolve(needs: list[Need], index: SkuIndex) -> list[Take] | Failure:
    if not needs:
        # Nothing to reserve would leave the order "placing" with no write to finish it.
        return Failure(
            FailureReason.SKU_UNMATCHED, "TikTok sent this order without any line item to place"
        )
    unmatched, ambiguous, takes = [], [], []
    for need in needs:
        found = index.lookup(need.etsy_sku) if need.etsy_sku else Missing()
        mapped = need.etsy_sku is not None and need.etsy_sku != need.tiktok_sku
        # A mapped SKU is named with its mapping, so the failure says which Etsy SKU failed.
        named = f"{need.tiktok_sku} (mapped to {need.etsy_sku})" if mapped else need.tiktok_sku
        if isinstance(found, Found):
            takes.append(Take(need, found.listing_id))
        elif isinstance(found, Ambiguous):
            ambiguous.append(f"{named}: {found.why}" if mapped else found.why)
        else:
            unmatched.append(named if need.etsy_sku else f"{need.tiktok_sku} (no seller SKU)")
    if ambiguous:
        return Failure(FailureReason.SKU_AMBIGUOUS, "; ".join(sorted(set(ambiguous))))
    if unmatched:
        skus = ", ".join(sorted(set(unmatched)))
        return Failure(FailureReason.SKU_UNMATCHED, f"no Etsy listing has SKU {skus}")
    return takes


@dataclass
class Stock:
    """Quantities per stock pool, read fresh from Etsy for one batch."""

    inventories: dict[int, dict] = field(default_factory=dict)
    # (listing_id, sku) -> the pool it draws from, or why it cannot be used
    pools: dict[tuple[int, str], Pool | str] = field(default_factory=dict)

    def add_inventory(self, listing_id: int, inventory: dict) -> None:
        self.inventories[listing_id] = inventory
        for sku, pool in pools(inventory).items():
            why = ambiguity(listing_id, sku, pool)
            self.pools[(listing_id, sku)] = why if why else pool


PoolKey = tuple[int, frozenset]  # (listing_id, Pool.id)


def allocate(takes: list[Take], stock: Stock, left: dict[PoolKey, int]) -> Failure | None:
    """Take the order's units from `left` (what each pool has left in this batch; a pool not
    in it has its Etsy quantity), all or nothing."""
    wanted: dict[PoolKey, int] = defaultdict(int)
    names: dict[PoolKey, str] = {}
    levels: dict[PoolKey, int] = {}
    for take in takes:
        listing_id, sku = take.listing_id, take.need.etsy_sku
        pool = stock.pools.get((listing_id, sku))
        if pool is None:
            return Failure(
                FailureReason.SKU_UNMATCHED, f"SKU {sku} is no longer on Etsy listing {listing_id}"
            )
        if isinstance(pool, str):
            return Failure(FailureReason.SKU_AMBIGUOUS, pool)
        key = (listing_id, pool.id)
        wanted[key] += take.need.units
        names[key] = (
            sku
            if len(pool.skus) == 1
            else f"{sku} (stock shared with {', '.join(s for s in pool.skus if s != sku)})"
        )
        levels[key] = pool.quantity
    short = []
    for key, units in wanted.items():
        available = left.get(key, levels[key])
        if available < units:
            short.append(
                f"{names[key]}: need {units}, Etsy has {available} (short {units - available})"
            )
    if short:
        return Failure(FailureReason.INSUFFICIENT_STOCK, "; ".join(short))
    for key, units in wanted.items():
        left[key] = left.get(key, levels[key]) - units
    return None


@dataclass(frozen=True)
class BatchPlan:
    """What each order of a batch takes, or why it cannot be placed, from one read of each
    listing it draws on."""

    outcomes: dict[int, list[Take] | Failure]  # by order id, in the order served
    stock: Stock
    left: dict[PoolKey, int]  # what each pool drawn on has left once the batch is placed

    def failures(self) -> dict[int, Failure]:
        return {oid: out for oid, out in self.outcomes.items() if isinstance(out, Failure)}

    def fitting(self) -> list[int]:
        return [oid for oid, out in self.outcomes.items() if not isinstance(out, Failure)]

    def takes(self, order_ids: Collection[int]) -> list[tuple[int, Take]]:
        return [
            (order_id, take)
            for order_id in self.fitting()
            if order_id in order_ids
            for take in self.outcomes[order_id]
        ]

    def takes_on(self, listing_id: int, order_ids: Collection[int]) -> list[tuple[int, Take]]:
        return [
            (order_id, take)
            for order_id in self.fitting()
            if order_id in order_ids
            for take in self.outcomes[order_id]
            if take.listing_id == listing_id
        ]

    def changes(self, order_ids: Collection[int]) -> dict[int, list[Change]]:
        """Per listing, one change per pool the given fitting orders draw on: its quantity now
        and once their units are taken. With every fitting order this is `left`; with fewer
        (some moved on before they could be journalled) only theirs are taken."""
        drawn: dict[int, dict[frozenset, Pool]] = defaultdict(dict)
        taken: dict[PoolKey, int] = defaultdict(int)
        for order_id in self.fitting():
            if order_id not in order_ids:
                continue
            for take in self.outcomes[order_id]:
                pool = self.stock.pools[(take.listing_id, take.need.etsy_sku)]
                drawn[take.listing_id][pool.id] = pool
                taken[(take.listing_id, pool.id)] += take.need.units
        return {
            listing_id: sorted(
                (
                    Change(pool.skus[0], pool.quantity, pool.quantity - taken[(listing_id, key)])
                    for key, pool in pools_drawn.items()
                ),
                key=lambda change: change.sku,
            )
            for listing_id, pools_drawn in drawn.items()
        }


def listings_wanted(needs: Mapping[int, list[Need]], index: SkuIndex) -> list[int]:
    """The listings a batch draws on (each is read from Etsy once, before planning)."""
    resolved = [resolve(order_needs, index) for order_needs in needs.values()]
    return sorted({t.listing_id for r in resolved if isinstance(r, list) for t in r})


def plan_batch(
    needs: Mapping[int, list[Need]], index: SkuIndex, inventories: Mapping[int, dict]
) -> BatchPlan:
    """Plan a batch: `needs` by order id, oldest first; `inventories` the listings that could
    be read (an order drawing on another one fails as an Etsy error)."""
    planner = Planner()
    planner.read(inventories)
    return planner.plan(needs, index)


@dataclass
class Planner:
    """Plans every pending order of a settle, chunk by chunk, against one read of each
    listing: what the orders of earlier chunks took is carried into the next ones, so each
    listing gets one intent (and one write) for all of them."""

    stock: Stock = field(default_factory=Stock)
    tried: set[int] = field(default_factory=set)  # listings read, or tried and unreadable
    taken: dict[PoolKey, int] = field(default_factory=dict)  # by the orders committed
    drawn: dict[int, dict[frozenset, Pool]] = field(default_factory=dict)

    def read(self, inventories: Mapping[int, dict], tried: Collection[int] = ()) -> None:
        """Add the listings read (`tried`: also those asked for and not read)."""
        for listing_id, inventory in inventories.items():
            self.stock.add_inventory(listing_id, inventory)
        self.tried.update(inventories, tried)

    def plan(self, needs: Mapping[int, list[Need]], index: SkuIndex) -> BatchPlan:
        """Plan a chunk (`needs` by order id, oldest first) on what earlier chunks left."""
        left = {key: self._level(key) - units for key, units in self.taken.items()}
        outcomes: dict[int, list[Take] | Failure] = {}
        for order_id, order_needs in needs.items():
            takes = resolve(order_needs, index)
            if isinstance(takes, list):
                unread = [t.listing_id for t in takes if t.listing_id not in self.stock.inventories]
                if unread:
                    detail = f"Etsy listing {unread[0]} could not be read"
                    takes = Failure(FailureReason.ETSY_ERROR, detail)
                else:
                    takes = allocate(takes, self.stock, left) or takes
            outcomes[order_id] = takes
        return BatchPlan(outcomes=outcomes, stock=self.stock, left=left)

    def commit(self, plan: BatchPlan, order_ids: Collection[int]) -> dict[int, list[Change]]:
        """Take the units of those fitting orders of `plan` that were journalled; returns,
        for each listing they draw on, every change planned on it so far (its intent's)."""
        touched = set()
        for _order_id, take in plan.takes(order_ids):
            pool = self.stock.pools[(take.listing_id, take.need.etsy_sku)]
            key = (take.listing_id, pool.id)
            self.drawn.setdefault(take.listing_id, {})[pool.id] = pool
            self.taken[key] = self.taken.get(key, 0) + take.need.units
            touched.add(take.listing_id)
        return {listing_id: self.changes_on(listing_id) for listing_id in sorted(touched)}

    def changes_on(self, listing_id: int) -> list[Change]:
        return sorted(
            (
                Change(pool.skus[0], pool.quantity, pool.quantity - self.taken[(listing_id, key)])
                for key, pool in self.drawn.get(listing_id, {}).items()
            ),
            key=lambda change: change.sku,
        )

    def _level(self, key: PoolKey) -> int:
        return self.drawn[key[0]][key[1]].quantity
