"""Which TikTok SKUs take which Etsy quantity, and which of them are owed a push. Pure: the
pusher loads the rows and hands them here.

A TikTok SKU takes the Etsy SKU it is mapped to, else the one of its own seller SKU. It is
pushed only when that Etsy SKU has one stock level on exactly one listing (`sync.skus`), and
no other live TikTok SKU takes the same Etsy SKU (both would sell the same units). Only live
products (ACTIVATE) can be set: the others are left alone, and not alerted.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.models import EtsySku, StockIntent, StockPush, TikTokSku
from storage.states import PushState
from sync.clock import as_utc
from sync.journal import changes_of
from sync.skus import Ambiguous, Missing, SkuEntry, SkuIndex
from sync.tiktok.products import ProductStatus, SkuInventory, WarehouseQuantity

RETRIES = 3  # failed pushes of one quantity in a row before it waits for a new one


@dataclass(frozen=True)
class Target:
    """What one TikTok SKU should show: Etsy's quantity less the buffer, never below 0."""

    sku_id: str
    product_id: str
    seller_sku: str
    etsy_sku: str
    listing_id: int
    etsy_quantity: int
    buffer: int
    warehouses: tuple[str, ...]

    @property
    def quantity(self) -> int:
        return max(0, self.etsy_quantity - self.buffer)

    def inventory(self) -> SkuInventory:
        """Every warehouse the SKU has: the whole quantity on the first, 0 on the others."""
        first, *others = self.warehouses
        stock = (
            WarehouseQuantity(first, self.quantity),
            *(WarehouseQuantity(w, 0) for w in others),
        )
        return SkuInventory(self.sku_id, stock)


@dataclass(frozen=True)
class Matches:
    targets: list[Target]
    problems: dict[str, str | None]  # sku id → why it cannot be pushed (None: it can)


def etsy_sku_of(sku: TikTokSku, mappings: Mapping[str, str]) -> str:
    return mappings.get(sku.seller_sku, sku.seller_sku)


def match(
    skus: Iterable[TikTokSku],
    *,
    mappings: Mapping[str, str],
    entries: Iterable[EtsySku],
    buffer: int,
    warehouses: Mapping[str, tuple[str, ...]],
    written: Mapping[tuple[str, int], int] | None = None,
) -> Matches:
    """`entries`: the index rows of the Etsy SKUs these take; `warehouses`: sku id → its own;
    `written`: (Etsy SKU, listing) → the quantity orderbot's own write left there since the
    index read the listing (`written_since_read`)."""
    live = [sku for sku in skus if sku.product_status == ProductStatus.ACTIVATE]
    rows = list(entries)
    index = SkuIndex(SkuEntry(r.sku, r.listing_id, r.quantity, r.problem) for r in rows)
    level = {(r.sku, r.listing_id): r.quantity for r in rows} | dict(written or {})
    takers: dict[str, list[TikTokSku]] = defaultdict(list)
    for sku in live:
        if sku.seller_sku:
            takers[etsy_sku_of(sku, mappings)].append(sku)
    targets, problems = [], {}
    for sku in live:
        etsy_sku = etsy_sku_of(sku, mappings)
        mapped = f" (mapped from {sku.seller_sku})" if etsy_sku != sku.seller_sku else ""
        found = index.lookup(etsy_sku) if sku.seller_sku else Missing()
        if not sku.seller_sku:
            problems[sku.sku_id] = f"TikTok SKU {sku.sku_id} has no seller SKU"
        elif isinstance(found, Missing):
            problems[sku.sku_id] = f"Etsy SKU {etsy_sku}{mapped} is on no Etsy listing"
        elif isinstance(found, Ambiguous):
            problems[sku.sku_id] = found.why
        elif len(takers[etsy_sku]) > 1:
            others = ", ".join(s.seller_sku for s in takers[etsy_sku])
            problems[sku.sku_id] = (
                f"TikTok SKUs {others} all take their stock from Etsy SKU {etsy_sku}"
            )
        elif not warehouses.get(sku.sku_id):
            problems[sku.sku_id] = f"TikTok SKU {sku.seller_sku} has no warehouse"
        else:
            problems[sku.sku_id] = None
            targets.append(
                Target(
                    sku_id=sku.sku_id,
                    product_id=sku.product_id,
                    seller_sku=sku.seller_sku,
                    etsy_sku=etsy_sku,
                    listing_id=found.listing_id,
                    etsy_quantity=level[(etsy_sku, found.listing_id)],
                    buffer=buffer,
                    warehouses=warehouses[sku.sku_id],
                )
            )
    return Matches(targets, problems)


def owed(target: Target, latest: StockPush | None) -> bool:
    """Whether the SKU is owed a push: it never had one (the first cycle with push on), its
    quantity changed since the last one TikTok took, the last was cut short, or the last
    failed fewer than RETRIES times in a row."""
    if latest is None or latest.state in (PushState.PENDING, PushState.UNKNOWN):
        return True
    if latest.quantity != target.quantity:
        return True
    return latest.state == PushState.FAILED and latest.failures < RETRIES


def by_product(targets: Sequence[Target], per_call: int) -> list[list[Target]]:
    """One Update Inventory per product (TikTok takes one product's SKUs a call), split
    when a product has more changed SKUs than a call takes."""
    grouped: dict[str, list[Target]] = defaultdict(list)
    for target in targets:
        grouped[target.product_id].append(target)
    return [
        group[start : start + per_call]
        for _, group in sorted(grouped.items())
        for start in range(0, len(group), per_call)
    ]


def written_since_read(
    intents: Iterable[StockIntent], read_at: Mapping[int, datetime]
) -> dict[tuple[str, int], int]:
    """(Etsy SKU, listing) → the quantity orderbot's last landed write left, for writes the
    index has not read yet (finished after it read the listing): a reservation or restore of
    this fetch is followed by this fetch, not the next."""
    written: dict[tuple[str, int], int] = {}
    for intent in intents:  # oldest first: the last write wins
        seen = read_at.get(intent.listing_id)
        if seen is None or intent.finished_at is None or as_utc(intent.finished_at) <= seen:
            continue
        for change in changes_of(intent):
            written[(change.sku, intent.listing_id)] = change.after
    return written
