"""The composition root: settings in, a running core out. The only place that wires packages."""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine as DbEngine

from commands.context import Services
from orderbot.settings import Settings, reveal
from storage import queries
from storage.db import make_engine, migrate, session_factory, transaction
from storage.errors import ConfigError
from storage.secrets import SecretBox
from sync.clock import Clock, utc_now
from sync.credentials import StoredTokens
from sync.engine import Engine
from sync.etsy.client import EtsyClient
from sync.sections import Section
from sync.tiktok.client import TikTokClient
from sync.tokens import Tokens

# Placement writes several listings at once, so calls spaced exactly at Etsy's per-second limit
# can reach Etsy 11 to a second when latencies vary; a 429 costs a second or more. Spacing at
# 95% of the limit keeps them under it.
ETSY_HEADROOM = 0.05


def missing_settings(names: list[str]) -> ConfigError:
    return ConfigError(
        f"these settings are missing (environment or .env): {', '.join(names)}. To try "
        "orderbot without any account, run `orderbot demo`; `orderbot sandbox` runs local "
        "marketplaces and prints the settings that point at them."
    )


class Relay:
    """A callback handed out before its target exists: the core (and the commands it serves)
    is built before the autopilot whose alert outbox answers `Services.alert_changed`. Until
    `connect`, and after `disconnect`, a call does nothing."""

    def __init__(self) -> None:
        self._target: Callable[[str], object] | None = None

    def connect(self, target: Callable[[str], object]) -> None:
        self._target = target

    def disconnect(self, target: Callable[[str], object]) -> None:
        if self._target == target:
            self._target = None

    def __call__(self, key: str) -> None:
        target = self._target
        if target is not None:
            target(key)


@dataclass
class Core:
    services: Services
    db: DbEngine
    tiktok: TikTokClient
    etsy: EtsyClient
    alert_changed: Relay  # the one `services.alert_changed` calls

    def close(self) -> None:
        self.tiktok.close()
        self.etsy.close()
        self.db.dispose()


def open_database(url: str) -> DbEngine:
    db = make_engine(url)
    if db.dialect.name == "sqlite":
        migrate(db)  # the embedded default keeps itself current
    return db


def build_core(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    client_options: dict | None = None,
    **engine_options,
) -> Core:
    """`client_options` (e.g. `sleep`, `max_attempts`) go to both marketplace clients."""
    missing = settings.missing_marketplace_settings()
    if missing:
        raise missing_settings(missing)
    db = open_database(settings.database_url)
    sessions = session_factory(db)
    with transaction(sessions) as session:
        shop_id = queries.ensure_shop(
            session,
            name="TikTok Shop",
            etsy_shop_id=settings.etsy_shop_id,
            sections=[section.value for section in Section],
        ).id
    box = SecretBox(reveal(settings.secret_key), previous=reveal(settings.secret_key_previous))
    tiktok = TikTokClient(
        app_key=settings.tiktok_app_key,
        app_secret=reveal(settings.tiktok_app_secret),
        tokens=StoredTokens(
            sessions=sessions,
            shop_id=shop_id,
            platform="tiktok",
            box=box,
            initial=Tokens(
                reveal(settings.tiktok_access_token), reveal(settings.tiktok_refresh_token), None
            ),
            clock=clock,
        ),
        base_url=settings.tiktok_api_url,
        auth_url=settings.tiktok_auth_url,
        shop_cipher=settings.tiktok_shop_cipher,
        rate_per_s=settings.tiktok_rate_per_s,
        clock=clock,
        **(client_options or {}),
    )
    etsy = EtsyClient(
        api_key=settings.etsy_api_key,
        shared_secret=reveal(settings.etsy_shared_secret),
        tokens=StoredTokens(
            sessions=sessions,
            shop_id=shop_id,
            platform="etsy",
            box=box,
            initial=Tokens(
                reveal(settings.etsy_access_token), reveal(settings.etsy_refresh_token), None
            ),
            clock=clock,
        ),
        shop_id=settings.etsy_shop_id,
        base_url=settings.etsy_api_url,
        rate_per_s=settings.etsy_rate_per_s,
        headroom=ETSY_HEADROOM,
        clock=clock,
        **(client_options or {}),
    )
    engine = Engine(
        sessions=sessions,
        shop_id=shop_id,
        tiktok=tiktok,
        etsy=etsy,
        clock=clock,
        lookback_days=settings.lookback_days,
        quota_reserve=settings.etsy_quota_reserve,
        stock_push=settings.stock_push == "on",
        stock_buffer=settings.stock_buffer,
        **engine_options,
    )
    alert_changed = Relay()
    services = Services(
        engine=engine,
        sessions=sessions,
        shop_id=shop_id,
        clock=clock,
        alert_changed=alert_changed,
    )
    return Core(services=services, db=db, tiktok=tiktok, etsy=etsy, alert_changed=alert_changed)
