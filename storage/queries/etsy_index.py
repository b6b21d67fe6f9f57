"""The Etsy SKU index (listings, their SKUs, per-state marks) and Etsy's daily quota.

Keyword-only functions, the Session first; callers decide when to commit.
"""

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from storage.models import EtsyIndexMark, EtsyListing, EtsyQuota, EtsySku

# --- marks -------------------------------------------------------------------------------


def index_marks(session: Session, *, shop_id: int) -> dict[str, EtsyIndexMark]:
    rows = session.exec(select(EtsyIndexMark).where(EtsyIndexMark.shop_id == shop_id))
    return {row.state: row for row in rows}


def save_index_mark(
    session: Session,
    *,
    shop_id: int,
    state: str,
    watermark: int | None,
    refreshed_at: datetime,
    full_walk_at: datetime | None = None,
) -> None:
    """Record a pass over `state`; `full_walk_at` only for a walk of the whole state. A
    watermark never moves back."""
    row = session.get(EtsyIndexMark, (shop_id, state))
    if row is None:
        row = EtsyIndexMark(shop_id=shop_id, state=state)
        session.add(row)
    if watermark is not None and (row.watermark is None or watermark > row.watermark):
        row.watermark = watermark
    row.refreshed_at = refreshed_at
    if full_walk_at is not None:
        row.full_walk_at = full_walk_at


# --- listings and SKUs -------------------------------------------------------------------


def indexed_listings(
    session: Session, *, shop_id: int, listing_ids: Collection[int] | None = None
) -> dict[int, EtsyListing]:
    """Stored listings by id: these, or all of the shop's."""
    query = select(EtsyListing).where(EtsyListing.shop_id == shop_id)
    if listing_ids is not None:
        if not listing_ids:
            return {}
        query = query.where(col(EtsyListing.listing_id).in_(list(listing_ids)))
    return {row.listing_id: row for row in session.exec(query)}


def skus_of_listings(
    session: Session, *, shop_id: int, listing_ids: Collection[int] | None = None
) -> dict[int, dict[str, EtsySku]]:
    """listing id → SKU → its row: for these listings, or all of the shop's."""
    query = select(EtsySku).where(EtsySku.shop_id == shop_id)
    if listing_ids is not None:
        if not listing_ids:
            return {}
        query = query.where(col(EtsySku.listing_id).in_(list(listing_ids)))
    found: dict[int, dict[str, EtsySku]] = defaultdict(dict)
    for row in session.exec(query):
        found[row.listing_id][row.sku] = row
    return dict(found)


def drop_indexed_skus(session: Session, *, shop_id: int, listing_id: int, skus: list[str]) -> None:
    if skus:
        session.execute(
            delete(EtsySku).where(
                col(EtsySku.shop_id) == shop_id,
                col(EtsySku.listing_id) == listing_id,
                col(EtsySku.sku).in_(skus),
            )
        )


def drop_indexed_listings(session: Session, *, shop_id: int, listing_ids: list[int]) -> None:
    if not listing_ids:
        return
    for table in (EtsySku, EtsyListing):
        session.execute(
            delete(table).where(
                col(table.shop_id) == shop_id, col(table.listing_id).in_(listing_ids)
            )
        )


def sku_entries(session: Session, *, shop_id: int, skus: Collection[str]) -> list[EtsySku]:
    """Every stored row of these SKUs (one per listing a SKU is on)."""
    if not skus:
        return []
    return list(
        session.exec(
            select(EtsySku).where(EtsySku.shop_id == shop_id, col(EtsySku.sku).in_(list(skus)))
        )
    )


def indexed_skus(session: Session, *, shop_id: int) -> list[str]:
    """Every distinct SKU in the index, sorted."""
    return list(
        session.exec(
            select(EtsySku.sku).where(EtsySku.shop_id == shop_id).distinct().order_by(EtsySku.sku)
        )
    )


def search_indexed_skus(
    session: Session, *, shop_id: int, text: str, limit: int
) -> list[tuple[str, str, int]]:
    """(SKU, listing title, quantity) of the SKUs containing `text` (case-insensitively) that
    are on exactly one listing with one stock level: those starting with it first, then by
    SKU."""
    pattern = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    sku = func.lower(EtsySku.sku)
    rows = session.exec(
        select(EtsySku.sku, func.min(EtsyListing.title), func.min(EtsySku.quantity))
        .join(
            EtsyListing,
            (col(EtsyListing.shop_id) == col(EtsySku.shop_id))
            & (col(EtsyListing.listing_id) == col(EtsySku.listing_id)),
        )
        .where(EtsySku.shop_id == shop_id, sku.like(f"%{pattern}%", escape="\\"))
        .group_by(EtsySku.sku)
        .having(func.count() == 1, func.count(EtsySku.problem) == 0)
        .order_by(sku.like(f"{pattern}%", escape="\\").desc(), EtsySku.sku)
        .limit(limit)
    )
    return [(found, title, quantity) for found, title, quantity in rows]


def index_size(session: Session, *, shop_id: int) -> tuple[int, int]:
    """(listings, SKU rows) in the index."""
    listings = session.exec(
        select(func.count()).select_from(EtsyListing).where(EtsyListing.shop_id == shop_id)
    ).one()
    skus = session.exec(
        select(func.count()).select_from(EtsySku).where(EtsySku.shop_id == shop_id)
    ).one()
    return listings, skus


# --- Etsy's quota ------------------------------------------------------------------------


def etsy_quota(session: Session, *, shop_id: int) -> EtsyQuota | None:
    return session.get(EtsyQuota, shop_id)


def save_etsy_quota(
    session: Session,
    *,
    shop_id: int,
    remaining_today: int,
    limit_per_day: int | None,
    seen_at: datetime,
) -> None:
    """Keep the newest reading: another process may have seen a later answer."""
    row = session.get(EtsyQuota, shop_id)
    if row is None:
        session.add(
            EtsyQuota(
                shop_id=shop_id,
                remaining_today=remaining_today,
                limit_per_day=limit_per_day,
                seen_at=seen_at,
            )
        )
    elif seen_at > row.seen_at:
        row.remaining_today, row.limit_per_day, row.seen_at = (
            remaining_today,
            limit_per_day,
            seen_at,
        )
