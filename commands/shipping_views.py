"""How shipping shows on orders (SPEC §4.1): the ship-by time and what is left of it, the
auto-cancel time, the tracking, and the Ship… button where an order can ship from Slack."""

from datetime import datetime, timedelta

from commands import actions
from commands.replies import Button
from storage.models import Order, OrderShipping
from sync.shipping import TO_SHIP

SHIP_BY = "Ship By"


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def seller_ships(order: Order, facts: OrderShipping | None) -> bool:
    return order.fulfilled_by != "TIKTOK" and facts is not None and facts.shipping_type == "SELLER"


def to_ship(order: Order, facts: OrderShipping | None) -> bool:
    """The seller still has to ship it (so its ship-by time matters)."""
    return seller_ships(order, facts) and order.tiktok_status in TO_SHIP


def span(delta: timedelta) -> str:
    """`2 d 3 h`, `5 h 10 min`, `12 min`: a time left or overdue, to the minute."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def time_left(deadline: datetime | None, now: datetime) -> str:
    if deadline is None:
        return "—"
    if deadline <= now:
        return f"overdue by {span(now - deadline)}"
    return f"{span(deadline - now)} left"


def ship_by_text(facts: OrderShipping | None, now: datetime) -> str:
    """`2026-12-08 12:00 UTC (5 h 10 min left)`, or `… (overdue by 2 h 0 min)`."""
    if facts is None or facts.ship_by is None:
        return "—"
    return f"{when(facts.ship_by)} ({time_left(facts.ship_by, now)})"


def ship_button(order: Order, facts: OrderShipping | None) -> Button | None:
    """Ship… on an order the seller still ships; None elsewhere."""
    if to_ship(order, facts):
        return Button("Ship…", actions.SHIP_START, order.tiktok_order_id, style="primary")
    return None


def shipping_facts(
    order: Order, facts: OrderShipping | None, now: datetime
) -> list[tuple[str, str]]:
    """The lines `/orders show` adds about shipping."""
    if facts is None:
        return []
    if not seller_ships(order, facts):
        return [("Ships", "by TikTok (a TikTok label or fulfilled by TikTok)")]
    shown = []
    if to_ship(order, facts):
        shown.append(("Ship by", ship_by_text(facts, now)))
        if facts.auto_cancel_at:
            shown.append(("TikTok cancels it", f"{when(facts.auto_cancel_at)} if not shipped"))
    if facts.tracking_number:
        carrier = facts.provider_name or "carrier"
        shown.append(("Tracking", f"{carrier} {facts.tracking_number}"))
    if facts.shipped_at and order.tiktok_status not in TO_SHIP:
        shown.append(("Shipped", when(facts.shipped_at)))
    return shown
