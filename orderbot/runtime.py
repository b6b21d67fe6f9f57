"""`orderbot run`: the Bolt app, the HTTP or Socket Mode runner, wired to the core."""

import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from bot.alerts import SlackPoster
from bot.app import build_app
from bot.schedule import Schedule
from bot.settings import BotSettings
from bot.web_api import alerts_client
from orderbot.autopilot import AlertChannel, Autopilot, build_autopilot
from orderbot.compose import ConfigError, Core, build_core
from orderbot.settings import Settings
from storage import queries

log = logging.getLogger(__name__)


def bot_settings(settings: Settings) -> BotSettings:
    missing = [
        name
        for name, value in {
            "SLACK_BOT_TOKEN": settings.slack_bot_token,
            "SLACK_SIGNING_SECRET": settings.slack_signing_secret,
        }.items()
        if not value
    ]
    if missing:
        raise ConfigError("orderbot run needs these Slack settings: " + ", ".join(missing))
    return BotSettings(
        bot_token=settings.slack_bot_token,
        signing_secret=settings.slack_signing_secret,
        api_url=settings.slack_api_url,
        admins=settings.admin_ids,
        alert_channel=settings.alert_channel,
        app_token=settings.slack_app_token,
    )


def health_check(core: Core) -> Callable[[], Mapping[str, Any]]:
    """/healthz: the database answers, how long ago the last good fetch finished, whether the
    last fetch failed, and Etsy's daily quota as last seen."""

    def check() -> Mapping[str, Any]:
        services = core.services
        try:
            with core.db.connect() as connection:
                connection.execute(text("SELECT 1"))
            with services.sessions() as session:
                state = queries.last_fetch(session, shop_id=services.shop_id)
                last_ok = state.last_ok_at if state else None
                failed = state is not None and state.last_error is not None
                quota = queries.etsy_quota(session, shop_id=services.shop_id)
        except Exception as exc:  # any failure here is the answer, not a crash
            return {"ok": False, "database": f"error: {type(exc).__name__}"}
        age = (services.clock() - last_ok).total_seconds() if last_ok else None
        return {
            "ok": True,
            "database": "ok",
            "last_fetch_ok_at": last_ok.isoformat() if last_ok else None,
            "last_fetch_age_s": round(age, 1) if age is not None else None,
            "last_fetch_failed": failed,  # the last fetch stopped (its error is in App Home)
            "etsy_quota": None
            if quota is None
            else {
                "remaining_today": quota.remaining_today,
                "limit_per_day": quota.limit_per_day,
                "seen_at": quota.seen_at.isoformat(),
            },
        }

    return check


def schedule_of(settings: Settings, **overrides) -> Schedule:
    return Schedule(
        fetch_every=timedelta(minutes=settings.fetch_interval_minutes),
        digest_at=settings.digest_time,
        timezone=settings.zone,
        **overrides,
    )


def autopilot(
    core: Core,
    settings: Settings,
    *,
    channel: AlertChannel | None,
    schedule: Schedule | None = None,
) -> Autopilot:
    """The scheduler, the webhook handler and its worker, for `core` (not started)."""
    return build_autopilot(
        core,
        schedule=schedule or schedule_of(settings),
        app_key=settings.tiktok_app_key or "",
        app_secret=settings.tiktok_app_secret or "",
        channel=channel,
    )


def run(settings: Settings) -> None:
    slack = bot_settings(settings)
    core = build_core(settings)
    app = build_app(services=core.services, settings=slack)
    channel = None
    if slack.alert_channel:  # a client of its own: it waits out 429s on the scheduler's thread
        client = alerts_client(slack.api_url, slack.bot_token)
        channel = SlackPoster(client, slack.alert_channel)
    pilot = autopilot(core, settings, channel=channel).start()
    try:
        if slack.app_token:
            from bot.socket_mode import run_socket_mode

            log.info(
                "connecting to Slack over Socket Mode (no HTTP endpoint: TikTok webhooks are "
                "not received; moving orders are polled)"
            )
            run_socket_mode(app, slack.app_token)
        else:
            from bot.http_server import serve

            log.info("serving /slack/events, /tiktok/webhook, /healthz and /metrics")
            serve(app, port=settings.port, health=health_check(core), webhook=pilot.webhook)
    finally:
        pilot.stop()
        core.close()
