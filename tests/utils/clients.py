"""The real TikTok and Etsy clients on a FakeApi: no network, recorded sleeps, full jitter."""

from datetime import UTC, datetime, timedelta

import httpx

from sync.etsy import EtsyClient
from sync.tiktok import TikTokClient
from sync.tokens import MemoryTokenStore, Tokens
from tests.utils.fakes import CeilingRandom, FakeApi, FakeTime

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)  # a Saturday
APP_KEY, APP_SECRET = "app-key", "app-secret"  # TikTok
KEYSTRING, SHARED_SECRET, SHOP_ID = "keystring1", "shh", 555  # Etsy


def seams(api: FakeApi) -> tuple[dict, FakeTime]:
    """What every client takes besides its credentials: the transport, sleep, monotonic, rng."""
    time = FakeTime()
    return {
        "transport": httpx.MockTransport(api),
        "sleep": time.sleep,
        "monotonic": time.monotonic,
        "rng": CeilingRandom(),
    }, time


def tiktok_tokens(
    access="access-1", refresh="refresh-1", expires=NOW + timedelta(days=3)
) -> Tokens:
    return Tokens(access, refresh, expires, NOW + timedelta(days=300))


def tiktok_client(
    api: FakeApi, *, store=None, cipher: str | None = "cipher-1", clock=lambda: NOW, **kwargs
) -> tuple[TikTokClient, FakeTime, MemoryTokenStore]:
    store = store or MemoryTokenStore(tiktok_tokens())
    options, time = seams(api)
    client = TikTokClient(
        app_key=APP_KEY,
        app_secret=APP_SECRET,
        tokens=store,
        shop_cipher=cipher,
        clock=clock,
        **options,
        **kwargs,
    )
    return client, time, store


def etsy_client(
    api: FakeApi, *, expires=NOW + timedelta(minutes=50), clock=lambda: NOW, **kwargs
) -> tuple[EtsyClient, FakeTime, MemoryTokenStore]:
    store = MemoryTokenStore(Tokens("12345.access-1", "12345.refresh-1", expires))
    options, time = seams(api)
    client = EtsyClient(
        api_key=KEYSTRING,
        shared_secret=SHARED_SECRET,
        tokens=store,
        shop_id=SHOP_ID,
        clock=clock,
        **options,
        **kwargs,
    )
    return client, time, store
