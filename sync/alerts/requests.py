"""Which request alerts are due (SPEC §4.2), from stored requests and alerts only.

request           a return, refund or buyer cancellation request waiting for the seller,
                  posted once when orderbot first sees it, updated in place as it is
                  answered (its order's history grows, as for order alerts)
request_reminder  its deadline is REMIND_BEFORE away and TikTok still waits for the seller:
                  news of its own, once per deadline (a returned parcel brings a new one)
"""

from datetime import datetime, timedelta

from sqlmodel import Session

from storage import queries
from storage.models import AfterSalesRequest
from storage.states import AlertKind
from sync.alerts.planning import Due
from sync.clock import as_utc, to_unix

REMIND_BEFORE = timedelta(hours=6)
CANDIDATES = 500


def opened_key(request_id: str) -> str:
    return f"{AlertKind.REQUEST}:{request_id}"


def reminder_key(row: AfterSalesRequest) -> str:
    return f"{AlertKind.REQUEST_REMINDER}:{row.request_id}.{to_unix(as_utc(row.deadline))}"


def request_id_of(key: str) -> str:
    """The request an alert key of either kind is about."""
    return key.partition(":")[2].partition(".")[0]


def waiting(row: AfterSalesRequest, now: datetime) -> bool:
    """TikTok waits for the seller's answer, and the deadline has not passed."""
    return (
        row.is_open
        and row.seller_action is not None
        and row.deadline is not None
        and as_utc(row.deadline) > now
    )


def requests_due(
    session: Session, *, shop_id: int, now: datetime, new_window: timedelta
) -> list[Due]:
    rows = queries.requests_opened_since(
        session, shop_id=shop_id, since=now - new_window, limit=CANDIDATES
    )
    wanted: list[tuple[str, str, AfterSalesRequest]] = []
    for row in rows:
        if waiting(row, now) or as_utc(row.opened_at) >= now - new_window:
            wanted.append((AlertKind.REQUEST, opened_key(row.request_id), row))
        if waiting(row, now) and as_utc(row.deadline) - now <= REMIND_BEFORE:
            wanted.append((AlertKind.REQUEST_REMINDER, reminder_key(row), row))
    posted = queries.existing_alert_keys(session, keys=[key for _, key, _ in wanted])
    return [
        Due(kind, key, row.order_id, row.tiktok_order_id)
        for kind, key, row in wanted
        if key not in posted
    ]
