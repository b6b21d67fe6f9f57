"""What TikTok says about how an order ships and by when (reference §16.1), kept beside it.

Ids and tracking numbers too long for their columns are dropped, not cut (a cut one would name
another carrier or parcel); the carrier's display name is cut.
"""

from sqlmodel import Session

from storage import queries
from storage.models import Order, OrderShipping, column_length
from sync.tiktok.models import ShippingType, TikTokOrder


def store(session: Session, order: Order, incoming: TikTokOrder) -> None:
    """Keep a known order's shipping facts as this (not stale) view of it tells them."""
    queries.save_shipping(session, facts=row(order, incoming))


def row(order: Order, incoming: TikTokOrder) -> OrderShipping:
    """The shipping facts of this view of the order, as a row (a new order's first)."""
    return OrderShipping(
        order_id=order.id,
        shop_id=order.shop_id,
        shipping_type=_shipping_type(order, incoming),
        delivery_option_id=_whole(incoming.delivery_option_id, "delivery_option_id"),
        ship_by=incoming.rts_sla_time,
        auto_cancel_at=incoming.shipping_due_time,
        shipped_at=incoming.rts_time,
        tracking_number=_whole(incoming.tracking_number, "tracking_number"),
        provider_id=_whole(incoming.shipping_provider_id, "provider_id"),
        provider_name=_cut(incoming.shipping_provider, "provider_name"),
    )


def _shipping_type(order: Order, incoming: TikTokOrder) -> str:
    if order.fulfilled_by == "TIKTOK":  # fulfilled by TikTok: TikTok ships, whatever it says
        return ShippingType.TIKTOK
    return incoming.shipping_type


def _whole(value: str | None, column: str) -> str | None:
    return value if value and len(value) <= column_length(OrderShipping, column) else None


def _cut(value: str | None, column: str) -> str | None:
    return value[: column_length(OrderShipping, column)] if value else None
