"""Query functions: keyword-only, the Session first; callers decide when to commit."""

import json
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import (
    Alert,
    Credential,
    FetchState,
    Lease,
    Order,
    OrderEvent,
    OrderLine,
    Reservation,
    SectionCount,
    Shop,
    SkuMapping,
    StockIntent,
)

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


# --- orders ------------------------------------------------------------------------------


def order_by_tiktok_id(session: Session, tiktok_order_id: str) -> Order | None:
    return session.exec(select(Order).where(Order.tiktok_order_id == tiktok_order_id)).first()


def orders_by_tiktok_ids(session: Session, ids: Iterable[str]) -> dict[str, Order]:
    ids = list(ids)
    if not ids:
        return {}
    rows = session.exec(select(Order).where(col(Order.tiktok_order_id).in_(ids)))
    return {order.tiktok_order_id: order for order in rows}


def lines_of(session: Session, order_ids: Sequence[int]) -> dict[int, list[OrderLine]]:
    result: dict[int, list[OrderLine]] = {order_id: [] for order_id in order_ids}
    if order_ids:
        rows = session.exec(
            select(OrderLine).where(col(OrderLine.order_id).in_(order_ids)).order_by(OrderLine.id)
        )
        for line in rows:
            result[line.order_id].append(line)
    return result


def reservations_of(session: Session, order_ids: Sequence[int]) -> dict[int, list[Reservation]]:
    result: dict[int, list[Reservation]] = {order_id: [] for order_id in order_ids}
    if order_ids:
        rows = session.exec(
            select(Reservation)
            .where(col(Reservation.order_id).in_(order_ids))
            .order_by(Reservation.id)
        )
        for reservation in rows:
            result[reservation.order_id].append(reservation)
    return result


def order_ids_with_placement(
    session: Session, *, shop_id: int, placement: str, limit: int
) -> list[int]:
    return list(
        session.exec(
            select(Order.id)
            .where(Order.shop_id == shop_id, Order.placement == placement)
            .order_by(Order.created_at, Order.id)
            .limit(limit)
        )
    )


def cancelled_with_reserved_stock(session: Session, *, shop_id: int, limit: int) -> list[int]:
    """Cancelled orders whose units are still reserved and are owed back (not delivery failures)."""
    return list(
        session.exec(
            select(Order.id)
            .where(
                Order.shop_id == shop_id,
                Order.section == "cancelled",
                col(Order.placement).in_(["placed", "placing"]),
            )
            .order_by(Order.id)
            .limit(limit)
        )
    )


def delivered_before(
    session: Session, *, shop_id: int, cutoff: datetime, limit: int
) -> list[Order]:
    return list(
        session.exec(
            select(Order)
            .where(
                Order.shop_id == shop_id,
                Order.section == "delivered",
                col(Order.delivered_at) <= cutoff,
                Order.return_requested == False,  # noqa: E712  (SQL comparison)
            )
            .limit(limit)
        )
    )


def page_of_orders(
    session: Session, *, shop_id: int, section: str | None, page: int, page_size: int
) -> list[Order]:
    """Newest first; served by ix_orders_section_created / ix_orders_created."""
    query = select(Order).where(Order.shop_id == shop_id)
    if section is not None:
        query = query.where(Order.section == section)
    query = query.order_by(col(Order.created_at).desc(), col(Order.id).desc())
    return list(session.exec(query.offset((page - 1) * page_size).limit(page_size)))


# --- section counts ----------------------------------------------------------------------


def adjust_section_count(session: Session, *, shop_id: int, section: str, delta: int) -> None:
    result = session.execute(
        update(SectionCount)
        .where(SectionCount.shop_id == shop_id, SectionCount.section == section)
        .values(count=SectionCount.count + delta)
    )
    if result.rowcount == 0:
        session.add(SectionCount(shop_id=shop_id, section=section, count=delta))
        session.flush()


def set_section(session: Session, order: Order, section: str) -> bool:
    """Move an order (new or stored) to a section, keeping the counts exact."""
    if order.id is not None and order.section == section:
        return False
    if order.id is not None and order.section:
        adjust_section_count(session, shop_id=order.shop_id, section=order.section, delta=-1)
    adjust_section_count(session, shop_id=order.shop_id, section=section, delta=1)
    order.section = section
    return True


def section_counts(session: Session, *, shop_id: int) -> dict[str, int]:
    """Non-empty sections and their counts."""
    rows = session.exec(
        select(SectionCount).where(SectionCount.shop_id == shop_id, SectionCount.count != 0)
    )
    return {row.section: row.count for row in rows}


def recount_sections(session: Session, *, shop_id: int) -> dict[str, int]:
    """The counts from the orders themselves (for checks and repair)."""
    rows = session.exec(
        select(Order.section, func.count()).where(Order.shop_id == shop_id).group_by(Order.section)
    )
    return dict(rows.all())


# --- history -----------------------------------------------------------------------------


def add_event(
    session: Session, *, order_id: int, at: datetime, actor: str, kind: str, detail: str = ""
) -> None:
    session.add(OrderEvent(order_id=order_id, at=at, actor=actor, kind=kind, detail=detail))


def events_of(session: Session, *, order_id: int, limit: int = 50) -> list[OrderEvent]:
    return list(
        session.exec(
            select(OrderEvent)
            .where(OrderEvent.order_id == order_id)
            .order_by(col(OrderEvent.at).desc(), col(OrderEvent.id).desc())
            .limit(limit)
        )
    )


# --- SKU mappings ------------------------------------------------------------------------


def sku_mappings(session: Session, *, shop_id: int) -> dict[str, str]:
    rows = session.exec(select(SkuMapping).where(SkuMapping.shop_id == shop_id))
    return {row.tiktok_sku: row.etsy_sku for row in rows}


def put_sku_mapping(
    session: Session, *, shop_id: int, tiktok_sku: str, etsy_sku: str, actor: str, now: datetime
) -> None:
    row = session.exec(
        select(SkuMapping).where(SkuMapping.shop_id == shop_id, SkuMapping.tiktok_sku == tiktok_sku)
    ).first()
    if row is None:
        row = SkuMapping(
            shop_id=shop_id, tiktok_sku=tiktok_sku, etsy_sku=etsy_sku, created_by=actor
        )
        session.add(row)
    row.etsy_sku = etsy_sku
    row.created_by = actor
    row.created_at = now


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
                Order.placement == "failed",
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


# --- stock intents -----------------------------------------------------------------------


def open_intents(session: Session, *, shop_id: int) -> list[StockIntent]:
    return list(
        session.exec(
            select(StockIntent)
            .where(StockIntent.shop_id == shop_id, StockIntent.state == "pending")
            .order_by(StockIntent.id)
        )
    )


def reservations_of_intent(session: Session, *, intent_id: int) -> list[Reservation]:
    return list(
        session.exec(
            select(Reservation).where(
                (Reservation.reserve_intent_id == intent_id)
                | (Reservation.restore_intent_id == intent_id)
            )
        )
    )


# --- leases ------------------------------------------------------------------------------


def acquire_lease(
    session: Session, *, name: str, holder: str, now: datetime, expires_at: datetime
) -> bool:
    """Take or renew a lease; True when `holder` has it. Commits (a lease must be visible)."""
    taken = session.execute(
        update(Lease)
        .where(
            Lease.name == name,
            (Lease.holder == holder) | (col(Lease.expires_at) < now),
        )
        .values(holder=holder, expires_at=expires_at)
    )
    if taken.rowcount == 1:
        session.commit()
        return True
    try:
        session.add(Lease(name=name, holder=holder, expires_at=expires_at))
        session.commit()
        return True
    except IntegrityError:
        session.rollback()
        return False


def release_lease(session: Session, *, name: str, holder: str) -> None:
    lease = session.get(Lease, name)
    if lease is not None and lease.holder == holder:
        session.delete(lease)
    session.commit()


def lease_holder(session: Session, *, name: str, now: datetime) -> Lease | None:
    lease = session.get(Lease, name)
    if lease is None or lease.expires_at < now:
        return None
    return lease


def take_over_lease(
    session: Session, *, name: str, dead_holder: str, holder: str, expires_at: datetime
) -> bool:
    """Take a lease from a holder known to be dead; False if someone else got there first."""
    taken = session.execute(
        update(Lease)
        .where(Lease.name == name, Lease.holder == dead_holder)
        .values(holder=holder, expires_at=expires_at)
    )
    session.commit()
    return taken.rowcount == 1


# --- alerts and lifecycle (scheduler, webhooks) ------------------------------------------


def insert_alerts(session: Session, *, alerts: Sequence[Alert]) -> None:
    """Claim alert keys: the unique `key` makes a second claim fail with IntegrityError, which
    the caller turns into "someone else has it" (after rolling back)."""
    for alert in alerts:
        session.add(alert)
    session.flush()


def alert_by_key(session: Session, *, key: str) -> Alert | None:
    return session.exec(select(Alert).where(Alert.key == key)).first()


def alerts_of_orders(
    session: Session, *, shop_id: int, order_ids: Iterable[int], states: Sequence[str]
) -> list[Alert]:
    order_ids = list(order_ids)
    if not order_ids:
        return []
    return list(
        session.exec(
            select(Alert)
            .where(
                Alert.shop_id == shop_id,
                col(Alert.order_id).in_(order_ids),
                col(Alert.state).in_(states),
            )
            .order_by(Alert.id)
        )
    )


def alerts_in_state(
    session: Session, *, shop_id: int, state: str, updated_before: datetime, limit: int
) -> list[Alert]:
    return list(
        session.exec(
            select(Alert)
            .where(
                Alert.shop_id == shop_id,
                Alert.state == state,
                col(Alert.updated_at) <= updated_before,
            )
            .order_by(Alert.id)
            .limit(limit)
        )
    )


def move_alert(
    session: Session, *, alert_id: int, from_state: str, to_state: str, now: datetime
) -> bool:
    """Compare-and-set on an alert's state; True when this caller moved it."""
    moved = session.execute(
        update(Alert)
        .where(col(Alert.id) == alert_id, Alert.state == from_state)
        .values(state=to_state, updated_at=now)
    )
    return moved.rowcount == 1


def handle_alert(session: Session, *, key: str, actor: str, now: datetime) -> bool:
    """Mark a posted alert handled, once; True when this call did it."""
    moved = session.execute(
        update(Alert)
        .where(Alert.key == key, Alert.state == "posted")
        .values(state="handled", handled_by=actor, updated_at=now)
    )
    return moved.rowcount == 1


def count_alerts_since(
    session: Session, *, shop_id: int, kinds: Sequence[str], since: datetime
) -> int:
    return session.exec(
        select(func.count())
        .select_from(Alert)
        .where(
            Alert.shop_id == shop_id,
            col(Alert.kind).in_(kinds),
            col(Alert.created_at) >= since,
        )
    ).one()


def latest_alert(session: Session, *, shop_id: int, kind: str, since: datetime) -> Alert | None:
    return session.exec(
        select(Alert)
        .where(Alert.shop_id == shop_id, Alert.kind == kind, col(Alert.created_at) >= since)
        .order_by(col(Alert.created_at).desc(), col(Alert.id).desc())
    ).first()


def batch_members(session: Session, *, shop_id: int, kind: str, detail: str) -> list[int]:
    """Order ids whose `kind` alert went into a summary (their `detail` names the summary)."""
    return list(
        session.exec(
            select(Alert.order_id)
            .where(Alert.shop_id == shop_id, Alert.kind == kind, Alert.detail == detail)
            .order_by(Alert.id)
        )
    )


def events_after(session: Session, *, after_id: int, limit: int) -> list[OrderEvent]:
    return list(
        session.exec(
            select(OrderEvent).where(OrderEvent.id > after_id).order_by(OrderEvent.id).limit(limit)
        )
    )


def last_event_id(session: Session) -> int:
    return session.exec(select(func.max(OrderEvent.id))).one() or 0


def orders_in_sections(
    session: Session,
    *,
    shop_id: int,
    sections: Sequence[str],
    synced_before: datetime,
    limit: int,
) -> list[str]:
    """TikTok ids of orders in `sections` not read from TikTok since `synced_before`."""
    return list(
        session.exec(
            select(Order.tiktok_order_id)
            .where(
                Order.shop_id == shop_id,
                col(Order.section).in_(sections),
                col(Order.synced_at) < synced_before,
            )
            .order_by(Order.synced_at, Order.id)
            .limit(limit)
        )
    )


def oldest_in_section(session: Session, *, shop_id: int, section: str, limit: int) -> list[Order]:
    """Oldest first: what has waited longest (served by ix_orders_section_created)."""
    return list(
        session.exec(
            select(Order)
            .where(Order.shop_id == shop_id, Order.section == section)
            .order_by(col(Order.created_at), col(Order.id))
            .limit(limit)
        )
    )


def failure_counts(session: Session, *, shop_id: int) -> dict[str, int]:
    rows = session.exec(
        select(Order.failure_reason, func.count())
        .where(Order.shop_id == shop_id, Order.section == "failed")
        .group_by(Order.failure_reason)
    )
    return {reason or "unknown": n for reason, n in rows.all()}


def shop(session: Session, *, shop_id: int) -> Shop | None:
    return session.get(Shop, shop_id)


def set_tiktok_shop_id(session: Session, *, shop_id: int, tiktok_shop_id: str) -> None:
    row = session.get(Shop, shop_id)
    if row is not None and row.tiktok_shop_id != tiktok_shop_id:
        row.tiktok_shop_id = tiktok_shop_id
