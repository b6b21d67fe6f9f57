"""Returns, refunds and buyer cancellation requests (`after_sales_requests`) and their cursor."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from storage.models import AfterSalesRequest, Alert, RequestCursor


def request_by_id(session: Session, *, shop_id: int, request_id: str) -> AfterSalesRequest | None:
    return session.exec(
        select(AfterSalesRequest).where(
            AfterSalesRequest.shop_id == shop_id, AfterSalesRequest.request_id == request_id
        )
    ).first()


def requests_by_ids(
    session: Session, *, shop_id: int, request_ids: Sequence[str]
) -> dict[str, AfterSalesRequest]:
    """The stored requests among `request_ids`, read again and locked where the database can
    (the caller updates them in this transaction)."""
    if not request_ids:
        return {}
    rows = session.exec(
        select(AfterSalesRequest)
        .where(
            AfterSalesRequest.shop_id == shop_id,
            col(AfterSalesRequest.request_id).in_(list(request_ids)),
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.request_id: row for row in rows}


def requests_of_order(session: Session, *, order_id: int) -> list[AfterSalesRequest]:
    """Oldest first."""
    return list(
        session.exec(
            select(AfterSalesRequest)
            .where(AfterSalesRequest.order_id == order_id)
            .order_by(col(AfterSalesRequest.opened_at), col(AfterSalesRequest.id))
        )
    )


def open_requests(
    session: Session, *, shop_id: int, page: int = 1, page_size: int = 20, kind: str | None = None
) -> list[AfterSalesRequest]:
    """Open requests, soonest deadline first (those without one last), then oldest."""
    query = select(AfterSalesRequest).where(
        AfterSalesRequest.shop_id == shop_id,
        AfterSalesRequest.is_open == True,  # noqa: E712
    )
    if kind is not None:
        query = query.where(AfterSalesRequest.kind == kind)
    query = query.order_by(
        col(AfterSalesRequest.deadline).is_(None),
        col(AfterSalesRequest.deadline),
        col(AfterSalesRequest.opened_at),
        col(AfterSalesRequest.id),
    )
    return list(session.exec(query.offset((page - 1) * page_size).limit(page_size)))


def count_open_requests(session: Session, *, shop_id: int) -> int:
    return session.exec(
        select(func.count())
        .select_from(AfterSalesRequest)
        .where(
            AfterSalesRequest.shop_id == shop_id,
            AfterSalesRequest.is_open == True,  # noqa: E712
        )
    ).one()


def open_request_ids(session: Session, *, shop_id: int, kind: str) -> dict[str, str]:
    """request id → TikTok order id of the open requests of one kind."""
    rows = session.exec(
        select(AfterSalesRequest.request_id, AfterSalesRequest.tiktok_order_id).where(
            AfterSalesRequest.shop_id == shop_id,
            AfterSalesRequest.kind == kind,
            AfterSalesRequest.is_open == True,  # noqa: E712
        )
    )
    return dict(rows.all())


def requests_opened_since(
    session: Session, *, shop_id: int, since: datetime, limit: int
) -> list[AfterSalesRequest]:
    """Open requests opened since `since`, and open ones with a deadline (the alert
    candidates), oldest first."""
    return list(
        session.exec(
            select(AfterSalesRequest)
            .where(
                AfterSalesRequest.shop_id == shop_id,
                AfterSalesRequest.is_open == True,  # noqa: E712
                (col(AfterSalesRequest.opened_at) >= since)
                | col(AfterSalesRequest.deadline).is_not(None),
            )
            .order_by(col(AfterSalesRequest.opened_at), col(AfterSalesRequest.id))
            .limit(limit)
        )
    )


def restocks_asked(session: Session, *, shop_id: int, limit: int) -> list[AfterSalesRequest]:
    """Requests whose returned units someone asked back (the restore may still be owed)."""
    return list(
        session.exec(
            select(AfterSalesRequest)
            .where(
                AfterSalesRequest.shop_id == shop_id,
                col(AfterSalesRequest.restock_at).is_not(None),
            )
            .order_by(col(AfterSalesRequest.restock_at))
            .limit(limit)
        )
    )


def existing_alert_keys(session: Session, *, keys: Sequence[str]) -> set[str]:
    if not keys:
        return set()
    return set(session.exec(select(Alert.key).where(col(Alert.key).in_(list(keys)))).all())


def claim_answer(
    session: Session,
    *,
    request_pk: int,
    key: str,
    actor: str,
    now: datetime,
    stale_before: datetime,
) -> bool:
    """Compare-and-set: True for the one request that may send an answer now (none under way,
    or one left by a crash before `stale_before`; the key makes sending it again safe)."""
    claimed = session.execute(
        update(AfterSalesRequest)
        .where(
            col(AfterSalesRequest.id) == request_pk,
            col(AfterSalesRequest.answering_at).is_(None)
            | (col(AfterSalesRequest.answering_at) < stale_before),
        )
        .values(answer_key=key, answering_by=actor, answering_at=now),
        execution_options={"synchronize_session": False},
    )
    return claimed.rowcount == 1


def finish_answer(
    session: Session,
    *,
    request_pk: int,
    key: str,
    answer: str | None,
    actor: str | None = None,
    now: datetime | None = None,
) -> bool:
    """End the answer under way with `key`: recorded when `answer` is given (it went through),
    released when None (refused or not sent)."""
    values: dict = {"answering_at": None, "answering_by": None}
    if answer is not None:
        values.update(answer=answer, answered_by=actor, answered_at=now)
    done = session.execute(
        update(AfterSalesRequest)
        .where(col(AfterSalesRequest.id) == request_pk, AfterSalesRequest.answer_key == key)
        .values(**values),
        execution_options={"synchronize_session": False},
    )
    return done.rowcount == 1


def claim_restock(session: Session, *, request_pk: int, actor: str, now: datetime) -> bool:
    """Compare-and-set: True for the one click that asks a request's returned units back."""
    claimed = session.execute(
        update(AfterSalesRequest)
        .where(
            col(AfterSalesRequest.id) == request_pk,
            col(AfterSalesRequest.restock_at).is_(None),
            col(AfterSalesRequest.received_at).is_not(None),
        )
        .values(restock_by=actor, restock_at=now),
        execution_options={"synchronize_session": False},
    )
    return claimed.rowcount == 1


def request_cursor(session: Session, *, shop_id: int) -> int | None:
    row = session.get(RequestCursor, shop_id)
    return row.cursor if row else None


def save_request_cursor(session: Session, *, shop_id: int, cursor: int) -> None:
    """Moves forward only."""
    row = session.get(RequestCursor, shop_id, with_for_update=True)
    if row is None:
        session.add(RequestCursor(shop_id=shop_id, cursor=cursor))
    elif cursor > row.cursor:
        row.cursor = cursor
