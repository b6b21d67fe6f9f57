"""The TikTok SKU catalogue, its read marks, and the stock pushes (SPEC §3.2).

Keyword-only functions, the Session first; callers decide when to commit. Pushes change state
by compare-and-set on their current state.
"""

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from storage.models import Alert, StockIntent, StockPush, TikTokCatalogMark, TikTokSku
from storage.states import IntentState, PushState

# --- the catalogue -----------------------------------------------------------------------


def catalog_mark(session: Session, *, shop_id: int) -> TikTokCatalogMark | None:
    return session.get(TikTokCatalogMark, shop_id)


def save_catalog_mark(
    session: Session,
    *,
    shop_id: int,
    watermark: int | None,
    refreshed_at: datetime,
    full: bool,
) -> None:
    """Record a read of the products; a watermark never moves back."""
    row = session.get(TikTokCatalogMark, shop_id)
    if row is None:
        row = TikTokCatalogMark(shop_id=shop_id)
        session.add(row)
    if watermark is not None and (row.watermark is None or watermark > row.watermark):
        row.watermark = watermark
    row.refreshed_at = refreshed_at
    if full:
        row.full_at = refreshed_at


def tiktok_skus(
    session: Session, *, shop_id: int, product_ids: Collection[str] | None = None
) -> list[TikTokSku]:
    """The catalogue's SKUs: these products', or all of the shop's."""
    query = select(TikTokSku).where(TikTokSku.shop_id == shop_id)
    if product_ids is not None:
        if not product_ids:
            return []
        query = query.where(col(TikTokSku.product_id).in_(list(product_ids)))
    return list(session.exec(query.order_by(TikTokSku.product_id, TikTokSku.sku_id)))


def tiktok_skus_by_seller_sku(
    session: Session, *, shop_id: int, seller_skus: Collection[str]
) -> list[TikTokSku]:
    if not seller_skus:
        return []
    return list(
        session.exec(
            select(TikTokSku)
            .where(TikTokSku.shop_id == shop_id, col(TikTokSku.seller_sku).in_(list(seller_skus)))
            .order_by(TikTokSku.sku_id)
        )
    )


def put_tiktok_sku(
    session: Session,
    *,
    shop_id: int,
    stored: TikTokSku | None,
    sku_id: str,
    product_id: str,
    product_status: str,
    seller_sku: str,
    warehouses: str,
    quantity: int,
    read_at: datetime,
) -> None:
    """Insert the SKU, or bring `stored` (its row, loaded in this session) up to what TikTok
    showed; its `problem` is the pusher's and stays. Only changed columns are written."""
    values = {
        "product_id": product_id,
        "product_status": product_status,
        "seller_sku": seller_sku,
        "warehouses": warehouses,
        "quantity": quantity,
    }
    if stored is None:
        session.add(TikTokSku(shop_id=shop_id, sku_id=sku_id, read_at=read_at, **values))
        return
    for name, value in values.items():
        if getattr(stored, name) != value:
            setattr(stored, name, value)
    stored.read_at = read_at


def drop_tiktok_skus(session: Session, *, shop_id: int, sku_ids: Collection[str]) -> None:
    if sku_ids:
        session.execute(
            delete(TikTokSku).where(
                col(TikTokSku.shop_id) == shop_id, col(TikTokSku.sku_id).in_(list(sku_ids))
            )
        )


def set_sku_problem(session: Session, *, shop_id: int, sku_id: str, problem: str | None) -> None:
    session.execute(
        update(TikTokSku)
        .where(col(TikTokSku.shop_id) == shop_id, col(TikTokSku.sku_id) == sku_id)
        .values(problem=problem)
        .execution_options(synchronize_session=False)
    )


def unmatched_tiktok_skus(session: Session, *, shop_id: int, limit: int) -> list[TikTokSku]:
    """SKUs the last push cycle could not match to one Etsy stock level."""
    return list(
        session.exec(
            select(TikTokSku)
            .where(TikTokSku.shop_id == shop_id, col(TikTokSku.problem).is_not(None))
            .order_by(TikTokSku.sku_id)
            .limit(limit)
        )
    )


# --- pushes ------------------------------------------------------------------------------


def latest_pushes(session: Session, *, shop_id: int) -> dict[str, StockPush]:
    """sku id → its newest push."""
    newest = (
        select(func.max(StockPush.id))
        .where(StockPush.shop_id == shop_id)
        .group_by(StockPush.sku_id)
        .scalar_subquery()
    )
    rows = session.exec(select(StockPush).where(col(StockPush.id).in_(newest)))
    return {row.sku_id: row for row in rows}


def add_pushes(session: Session, *, pushes: Iterable[StockPush]) -> list[StockPush]:
    rows = list(pushes)
    session.add_all(rows)
    session.flush()
    return rows


def finish_push(
    session: Session,
    *,
    push_id: int,
    from_state: str,
    to_state: str,
    now: datetime,
    error: str | None = None,
    failures: int | None = None,
) -> bool:
    """Move a push on from `from_state`; False when it was not in it (nothing changed).
    `failures`: how many pushes of its SKU have failed in a row, this one included."""
    values = {"state": to_state, "finished_at": now, "error": error}
    if failures is not None:
        values["failures"] = failures
    done = session.execute(
        update(StockPush)
        .where(col(StockPush.id) == push_id, col(StockPush.state) == from_state)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1


def pushes_in_state(session: Session, *, shop_id: int, state: str) -> list[StockPush]:
    return list(
        session.exec(
            select(StockPush)
            .where(StockPush.shop_id == shop_id, StockPush.state == state)
            .order_by(StockPush.id)
        )
    )


def pushes_of_skus(
    session: Session,
    *,
    shop_id: int,
    seller_skus: Collection[str] = (),
    sku_ids: Collection[str] = (),
    limit: int = 10,
) -> list[StockPush]:
    """The newest pushes of these TikTok SKUs (by seller SKU or sku id), newest first."""
    if not seller_skus and not sku_ids:
        return []
    match = col(StockPush.seller_sku).in_(list(seller_skus)) | col(StockPush.sku_id).in_(
        list(sku_ids)
    )
    return list(
        session.exec(
            select(StockPush)
            .where(StockPush.shop_id == shop_id, match)
            .order_by(col(StockPush.id).desc())
            .limit(limit)
        )
    )


def first_failed_pushes(
    session: Session, *, shop_id: int, since: datetime, limit: int
) -> list[StockPush]:
    """Failed pushes that began a run of failures (`failures` 1) since `since`, oldest first."""
    return list(
        session.exec(
            select(StockPush)
            .where(
                StockPush.shop_id == shop_id,
                StockPush.state == PushState.FAILED,
                StockPush.failures == 1,
                col(StockPush.created_at) >= since,
            )
            .order_by(StockPush.id)
            .limit(limit)
        )
    )


def push_counts(session: Session, *, shop_id: int, since: datetime) -> dict[str, int]:
    """state → pushes made since `since`."""
    rows = session.exec(
        select(StockPush.state, func.count())
        .where(StockPush.shop_id == shop_id, col(StockPush.created_at) >= since)
        .group_by(StockPush.state)
    )
    return {state: n for state, n in rows}


def alert_keys_among(session: Session, *, keys: Collection[str]) -> set[str]:
    """Those of `keys` that some alert already has."""
    if not keys:
        return set()
    return set(session.exec(select(Alert.key).where(col(Alert.key).in_(list(keys)))))


def writes_since(
    session: Session, *, shop_id: int, listing_ids: Collection[int], since: datetime
) -> list[StockIntent]:
    """orderbot's own Etsy inventory writes on these listings that landed (`done`) since
    `since`, oldest first."""
    if not listing_ids:
        return []
    return list(
        session.exec(
            select(StockIntent)
            .where(
                StockIntent.shop_id == shop_id,
                StockIntent.state == IntentState.DONE,
                col(StockIntent.listing_id).in_(list(listing_ids)),
                col(StockIntent.finished_at) > since,
            )
            .order_by(StockIntent.finished_at, StockIntent.id)
        )
    )
