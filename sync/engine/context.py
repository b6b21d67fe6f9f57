"""What every step of the engine works with: one shop's storage, its two marketplaces, time."""

from dataclasses import dataclass
from datetime import timedelta

from storage.db import SessionFactory
from sync.clock import Clock
from sync.etsy.client import EtsyClient
from sync.etsy_index import EtsyIndex
from sync.leases import Leases
from sync.tiktok.client import TikTokClient


@dataclass(frozen=True)
class EngineContext:
    sessions: SessionFactory
    shop_id: int
    tiktok: TikTokClient
    etsy: EtsyClient
    clock: Clock
    leases: Leases
    lookback: timedelta
    overlap_s: int
    batch_size: int  # pending orders planned per chunk (bounds memory; not Etsy calls)
    lease_for: timedelta
    settle_wait_s: float
    skus: EtsyIndex  # the SKU index in the database
