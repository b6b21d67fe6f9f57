"""Stock push (SPEC §3.2): TikTok follows Etsy. `pusher` runs a cycle after each fetch,
`catalog` keeps the TikTok SKU catalogue, `planning` decides (pure) what each SKU is owed."""

from sync.stock_push.planning import RETRIES
from sync.stock_push.pusher import PushReport, SkuStock, StockPusher

__all__ = ["RETRIES", "PushReport", "SkuStock", "StockPusher"]
