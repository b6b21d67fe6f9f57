"""Shops, credentials, fetch state and SKU mappings.

Keyword-only functions, the Session first; callers decide when to commit.
"""

import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.models import (
    Credential,
    FetchState,
    Order,
    OrderLine,
    SectionCount,
    Shop,
    SkuMapping,
)
from storage.states import Placement

# --- shops and credentials ---------------------------------------------------------------


def ensure_shop(
    session: Session, *, name: str, etsy_shop_id: str | None, sections: Iterable[str] = ()
) -> Shop:
    """The one shop this installation serves, created on first use with a zero count per
    section (so concurrent writers only ever update count rows, never race to insert them)."""
    if session.get_bind().dialect.name == "postgresql":
        # Instances starting together on an empty database must not each create a shop.
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('orderbot:ensure_shop'))"))
    shop = session.exec(select(Shop).order_by(Shop.id)).first()
    if shop is None:
        shop = Shop(name=name, etsy_shop_id=etsy_shop_id)
        session.add(shop)
        session.flush()
        for section in sections:
            session.add(SectionCount(shop_id=shop.id, section=section, count=0))
    elif etsy_shop_id and shop.etsy_shop_id != etsy_shop_id:
        shop.etsy_shop_id = etsy_shop_id
    return shop


def get_credential(session: Session, *, shop_id: int, platform: str) -> Credential | None:
    return session.exec(
        select(Credential).where(Credential.shop_id == shop_id, Credential.platform == platform)
    ).first()


def save_credential(
    session: Session,
    *,
    shop_id: int,
    platform: str,
    access_token: str,
    refresh_token: str | None,
    access_expires_at: datetime | None,
    refresh_expires_at: datetime | None,
    now: datetime,
    seeded_from: str | None = None,
) -> None:
    credential = get_credential(session, shop_id=shop_id, platform=platform)
    if credential is None:
        credential = Credential(shop_id=shop_id, platform=platform, access_token=access_token)
        session.add(credential)
    credential.access_token = access_token
    credential.refresh_token = refresh_token
    credential.access_expires_at = access_expires_at
    credential.refresh_expires_at = refresh_expires_at
    credential.seeded_from = seeded_from
    credential.updated_at = now


# --- SKU mappings ------------------------------------------------------------------------


def sku_mappings(session: Session, *, shop_id: int) -> dict[str, str]:
    rows = session.exec(select(SkuMapping).where(SkuMapping.shop_id == shop_id))
    return {row.tiktok_sku: row.etsy_sku for row in rows}


def put_sku_mapping(
    session: Session, *, shop_id: int, tiktok_sku: str, etsy_sku: str, actor: str, now: datetime
) -> None:
    """Insert or replace the mapping in one statement, so two requests mapping the same SKU at
    once (a double click) both succeed, the later one winning."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {"etsy_sku": etsy_sku, "created_by": actor, "created_at": now}
    session.execute(
        insert(SkuMapping)
        .values(shop_id=shop_id, tiktok_sku=tiktok_sku, **values)
        .on_conflict_do_update(index_elements=["shop_id", "tiktok_sku"], set_=values)
    )


def sku_mapping_page(
    session: Session, *, shop_id: int, offset: int, limit: int
) -> tuple[list[SkuMapping], int]:
    """One page of the shop's mappings by TikTok SKU, and how many there are in all."""
    total = session.exec(
        select(func.count()).select_from(SkuMapping).where(SkuMapping.shop_id == shop_id)
    ).one()
    rows = session.exec(
        select(SkuMapping)
        .where(SkuMapping.shop_id == shop_id)
        .order_by(SkuMapping.tiktok_sku)
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


def delete_sku_mapping(session: Session, *, shop_id: int, tiktok_sku: str) -> SkuMapping | None:
    """Remove the mapping of `tiktok_sku`; returns it, or None when there was none."""
    row = session.exec(
        select(SkuMapping).where(SkuMapping.shop_id == shop_id, SkuMapping.tiktok_sku == tiktok_sku)
    ).first()
    if row is not None:
        session.delete(row)
    return row


def seller_skus_for(session: Session, *, sku_ids: Iterable[str]) -> dict[str, str]:
    """TikTok sku_id → seller_sku, learnt from stored line items (combined-listing components
    carry only the sku_id)."""
    sku_ids = list(sku_ids)
    if not sku_ids:
        return {}
    rows = session.exec(
        select(OrderLine.sku_id, OrderLine.seller_sku)
        .where(col(OrderLine.sku_id).in_(sku_ids), OrderLine.seller_sku != "")
        .distinct()
    )
    return dict(rows.all())


def failed_order_ids_for_sku(session: Session, *, shop_id: int, tiktok_sku: str) -> list[int]:
    return list(
        session.exec(
            select(Order.id)
            .join(OrderLine, col(OrderLine.order_id) == col(Order.id))
            .where(
                Order.shop_id == shop_id,
                Order.placement == Placement.FAILED,
                (OrderLine.seller_sku == tiktok_sku)
                | (OrderLine.sku_id == tiktok_sku)
                | col(OrderLine.combined).contains(json.dumps(tiktok_sku)),
            )
            .distinct()
        )
    )


# --- fetch state -------------------------------------------------------------------------


def fetch_state(session: Session, *, shop_id: int) -> FetchState:
    state = session.get(FetchState, shop_id)
    if state is None:
        state = FetchState(shop_id=shop_id)
        session.add(state)
        session.flush()
    return state


def last_fetch(session: Session, *, shop_id: int) -> FetchState | None:
    return session.get(FetchState, shop_id)


def shop(session: Session, *, shop_id: int) -> Shop | None:
    return session.get(Shop, shop_id)


def set_tiktok_shop_id(session: Session, *, shop_id: int, tiktok_shop_id: str) -> None:
    row = session.get(Shop, shop_id)
    if row is not None and row.tiktok_shop_id != tiktok_shop_id:
        row.tiktok_shop_id = tiktok_shop_id
