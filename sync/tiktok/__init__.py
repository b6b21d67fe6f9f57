"""TikTok Shop Partner API (202309) client."""

from sync.tiktok.client import TikTokClient
from sync.tiktok.models import (
    Cancellation,
    CancelResult,
    ComboPart,
    OrderPage,
    Shop,
    TikTokLineItem,
    TikTokOrder,
    TrackingEvent,
    effective_cancellation,
    effective_cancellations,
)
from sync.tiktok.signing import sign

__all__ = [
    "CancelResult",
    "Cancellation",
    "ComboPart",
    "OrderPage",
    "Shop",
    "TikTokClient",
    "TikTokLineItem",
    "TikTokOrder",
    "TrackingEvent",
    "effective_cancellation",
    "effective_cancellations",
    "sign",
]
