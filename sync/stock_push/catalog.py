"""The shop's TikTok SKUs in the database, refreshed from Search Products.

The first refresh, and one a day, reads every product (any status) and forgets SKUs TikTok no
longer shows; the others read only products updated since the last read (less an overlap, as
TikTok's index may lag), and replace those products' SKUs. A push changes its product's
update_time, so the next refresh re-reads it: a page, not a walk.
"""

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage import queries
from storage.db import SessionFactory, transaction
from sync.clock import Clock, to_unix
from sync.tiktok.client import TikTokClient
from sync.tiktok.products import Product

log = logging.getLogger(__name__)

OVERLAP_S = 120


@dataclass(frozen=True)
class CatalogRead:
    full: bool
    products: int = 0
    calls: int = 0


class Catalog:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        shop_id: int,
        tiktok: TikTokClient,
        clock: Clock,
        full_every: timedelta = timedelta(days=1),
    ):
        self.sessions = sessions
        self.shop_id = shop_id
        self.tiktok = tiktok
        self.clock = clock
        self.full_every = full_every

    def refresh(self) -> CatalogRead:
        now = self.clock()
        with self.sessions() as session:
            mark = queries.catalog_mark(session, shop_id=self.shop_id)
        full = mark is None or mark.full_at is None or now - mark.full_at >= self.full_every
        since = None if full or mark.watermark is None else mark.watermark - OVERLAP_S
        products: dict[str, Product] = {}
        skipped = calls = 0
        for page in self.tiktok.search_products(status=None, update_time_ge=since):
            calls += 1
            skipped += len(page.skipped)
            for product in page.products:
                products[product.id] = product
        newest = max(
            (to_unix(p.update_time) for p in products.values() if p.update_time), default=None
        )
        with transaction(self.sessions) as session:
            self._keep(session, products, now, forget_unseen=full and not skipped)
            queries.save_catalog_mark(
                session, shop_id=self.shop_id, watermark=newest, refreshed_at=now, full=full
            )
        if skipped:
            log.warning(
                "tiktok catalogue: %d product(s) could not be read; kept as stored", skipped
            )
        return CatalogRead(full=full, products=len(products), calls=calls)

    def _keep(self, session, products: dict[str, Product], now: datetime, forget_unseen: bool):
        stored = {
            row.sku_id: row
            for row in queries.tiktok_skus(
                session,
                shop_id=self.shop_id,
                product_ids=None if forget_unseen else list(products),
            )
        }
        seen = set()
        for product in products.values():
            for sku in product.skus:
                seen.add(sku.id)
                queries.put_tiktok_sku(
                    session,
                    shop_id=self.shop_id,
                    stored=stored.get(sku.id),
                    sku_id=sku.id,
                    product_id=product.id,
                    product_status=str(product.status),
                    seller_sku=sku.seller_sku,
                    warehouses=json.dumps([entry.warehouse_id for entry in sku.stock]),
                    quantity=sku.quantity,
                    read_at=now,
                )
        gone = [sku_id for sku_id in stored if sku_id not in seen]
        queries.drop_tiktok_skus(session, shop_id=self.shop_id, sku_ids=gone)


def warehouses_of(row) -> tuple[str, ...]:
    return tuple(json.loads(row.warehouses or "[]"))
