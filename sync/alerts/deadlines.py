"""The ship-by deadline alert (SPEC §4.1): once per order, `AlertRules.ship_warn` before its
ship-by time (`rts_sla_time`) while the seller has not shipped it, with a Ship… button.

Its key is `ship_deadline:<TikTok order id>`, claimed as every alert's is, so it is posted once
whatever restarts or instances there are. An order TikTok has already cancelled for want of
shipping (its auto-cancel time passed) is not warned about.
"""

from datetime import datetime, timedelta

from sqlmodel import Session

from storage import queries
from storage.states import AlertKind
from sync.alerts.planning import Due
from sync.shipping import TO_SHIP, TO_SHIP_SECTIONS
from sync.tiktok.models import ShippingType

SHIP_WARN = timedelta(hours=12)  # ORDERBOT_SHIP_WARN_HOURS' default


def deadline_key(tiktok_order_id: str) -> str:
    return f"{AlertKind.SHIP_DEADLINE}:{tiktok_order_id}"


def deadlines_due(
    session: Session, *, shop_id: int, now: datetime, warn: timedelta, limit: int
) -> list[Due]:
    """Orders whose ship-by time is less than `warn` away (or past), still to ship by the
    seller, without a deadline alert yet; soonest first."""
    orders = queries.to_ship_without_alert(
        session,
        shop_id=shop_id,
        statuses=TO_SHIP,
        sections=TO_SHIP_SECTIONS,
        shipping_type=ShippingType.SELLER,
        ship_by_before=now + warn,
        auto_cancel_after=now,
        kind=AlertKind.SHIP_DEADLINE,
        limit=limit,
    )
    return [
        Due(AlertKind.SHIP_DEADLINE, deadline_key(o.tiktok_order_id), o.id, o.tiktok_order_id)
        for o in orders
        if o.fulfilled_by != "TIKTOK"
    ]
