"""All configuration (SPEC §7), read once at the entry point and passed down as values.

Secrets are `SecretStr`: never in a repr, a traceback's locals or a log line; `reveal` gives the
value where it is used.
"""

from datetime import time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sync.quota import DEFAULT_RESERVE

MIN_SECRET_KEY_LENGTH = 32
MIN_SECRET_KEY_DISTINCT = 8  # "aaaa…" or "1212…" is long, not random
PLACEHOLDERS = {"", "changeme", "change-me", "secret"}
MAKE_A_KEY = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def reveal(value: SecretStr | str | None) -> str | None:
    """The value of a secret setting (a plain setting passes through)."""
    return value.get_secret_value() if isinstance(value, SecretStr) else value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field("sqlite:///orderbot.db", alias="DATABASE_URL")

    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", alias="SLACK_API_URL")

    alert_channel: str | None = Field(None, alias="ORDERBOT_ALERT_CHANNEL")
    admins: str = Field("", alias="ORDERBOT_ADMINS")
    # Fractions allowed (0.05 = every 3 s), so tests can let several ticks pass quickly.
    fetch_interval_minutes: float = Field(5, gt=0, alias="ORDERBOT_FETCH_INTERVAL_MINUTES")
    lookback_days: int = Field(7, ge=1, le=90, alias="ORDERBOT_LOOKBACK_DAYS")
    secret_key: SecretStr | None = Field(None, alias="ORDERBOT_SECRET_KEY")
    # The key stored tokens may still be encrypted with, while ORDERBOT_SECRET_KEY is rotated.
    secret_key_previous: SecretStr | None = Field(None, alias="ORDERBOT_SECRET_KEY_PREVIOUS")
    digest_time: time = Field(time(8, 0), alias="ORDERBOT_DIGEST_TIME")
    timezone: str = Field("UTC", alias="ORDERBOT_TIMEZONE")  # IANA name; the digest's clock

    tiktok_app_key: str | None = Field(None, alias="TIKTOK_APP_KEY")
    tiktok_app_secret: SecretStr | None = Field(None, alias="TIKTOK_APP_SECRET")
    tiktok_api_url: str = Field("https://open-api.tiktokglobalshop.com", alias="TIKTOK_API_URL")
    tiktok_auth_url: str = Field("https://auth.tiktok-shops.com", alias="TIKTOK_AUTH_URL")
    tiktok_access_token: SecretStr | None = Field(None, alias="TIKTOK_ACCESS_TOKEN")
    tiktok_refresh_token: SecretStr | None = Field(None, alias="TIKTOK_REFRESH_TOKEN")
    tiktok_shop_cipher: str | None = Field(None, alias="TIKTOK_SHOP_CIPHER")
    tiktok_rate_per_s: float = Field(50.0, gt=0, alias="ORDERBOT_TIKTOK_RATE")

    etsy_api_key: str | None = Field(None, alias="ETSY_API_KEY")
    etsy_shared_secret: SecretStr | None = Field(None, alias="ETSY_SHARED_SECRET")
    etsy_api_url: str = Field("https://openapi.etsy.com", alias="ETSY_API_URL")
    etsy_access_token: SecretStr | None = Field(None, alias="ETSY_ACCESS_TOKEN")
    etsy_refresh_token: SecretStr | None = Field(None, alias="ETSY_REFRESH_TOKEN")
    etsy_shop_id: str | None = Field(None, alias="ETSY_SHOP_ID")
    etsy_rate_per_s: float = Field(10.0, gt=0, alias="ORDERBOT_ETSY_RATE")
    # Below this many Etsy calls left today, SKU index refreshes wait for placements.
    etsy_quota_reserve: int = Field(DEFAULT_RESERVE, ge=0, alias="ORDERBOT_ETSY_QUOTA_RESERVE")

    # Stock push (SPEC §3.2): off until the seller turns it on; units kept back from TikTok.
    stock_push: Literal["on", "off"] = Field("off", alias="ORDERBOT_STOCK_PUSH")
    stock_buffer: int = Field(0, ge=0, le=99_999, alias="ORDERBOT_STOCK_BUFFER")

    port: int = Field(3000, alias="PORT")
    # GET /metrics has a port of its own, on loopback unless told otherwise: not public.
    metrics_port: int = Field(9464, ge=0, le=65535, alias="ORDERBOT_METRICS_PORT")
    metrics_host: str = Field("127.0.0.1", alias="ORDERBOT_METRICS_HOST")

    # Shipping (SPEC §4.1): who may ship besides the admins, and when the deadline alert goes.
    shippers: str = Field("", alias="ORDERBOT_SHIPPERS")
    ship_warn_hours: float = Field(12, gt=0, le=24 * 14, alias="ORDERBOT_SHIP_WARN_HOURS")

    @field_validator("stock_push", mode="before")
    @classmethod
    def _on_or_off(cls, value):
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("secret_key")
    @classmethod
    def _strong_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return value
        key = value.get_secret_value()
        if key.strip().lower() in PLACEHOLDERS:
            problem = "is a placeholder"
        elif len(key) < MIN_SECRET_KEY_LENGTH:
            problem = f"is {len(key)} characters long; it needs at least {MIN_SECRET_KEY_LENGTH}"
        elif len(set(key)) < MIN_SECRET_KEY_DISTINCT:
            problem = f"has only {len(set(key))} different characters"
        else:
            return value
        raise ValueError(
            f"ORDERBOT_SECRET_KEY {problem}: set a long random value (a Fernet key will do), "
            f"e.g. from: {MAKE_A_KEY}"
        )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"ORDERBOT_TIMEZONE {value!r} is not an IANA time zone") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def admin_ids(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.admins.split(",") if part.strip())

    def missing_slack_settings(self) -> list[str]:
        needed = {
            "SLACK_BOT_TOKEN": self.slack_bot_token,
            "SLACK_SIGNING_SECRET": self.slack_signing_secret,
        }
        return [name for name, value in needed.items() if not reveal(value)]

    def missing_marketplace_settings(self) -> list[str]:
        needed = {
            "TIKTOK_APP_KEY": self.tiktok_app_key,
            "TIKTOK_APP_SECRET": self.tiktok_app_secret,
            "TIKTOK_ACCESS_TOKEN": self.tiktok_access_token,
            "ETSY_API_KEY": self.etsy_api_key,
            "ETSY_SHARED_SECRET": self.etsy_shared_secret,
            "ETSY_ACCESS_TOKEN": self.etsy_access_token,
            "ETSY_SHOP_ID": self.etsy_shop_id,
            "ORDERBOT_SECRET_KEY": self.secret_key,
        }
        return [name for name, value in needed.items() if not reveal(value)]

    @property
    def shipper_ids(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.shippers.split(",") if part.strip())
