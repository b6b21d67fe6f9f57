"""`orderbot run`: the Bolt app, the HTTP or Socket Mode runner, wired to the core."""

import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import text

from bot.alerts import SlackPoster
from bot.app import build_app
from bot.http_server import RunningServer, serve, start_metrics_server, start_server
from bot.schedule import Schedule
from bot.settings import BotSettings
from bot.web_api import alerts_client
from orderbot.autopilot import AlertChannel, Autopilot, build_autopilot
from orderbot.compose import ConfigError, Core, build_core, missing_settings
from orderbot.settings import Settings, reveal
from storage import queries
from sync.alerts import AlertRules

log = logging.getLogger(__name__)


def bot_settings(settings: Settings) -> BotSettings:
    missing = settings.missing_slack_settings()
    if missing:
        raise missing_settings(missing)
    return BotSettings(
        bot_token=reveal(settings.slack_bot_token),
        signing_secret=reveal(settings.slack_signing_secret),
        api_url=settings.slack_api_url,
        admins=settings.admin_ids,
        alert_channel=settings.alert_channel,
        app_token=reveal(settings.slack_app_token),
        shippers=settings.shipper_ids,
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
        app_secret=reveal(settings.tiktok_app_secret) or "",
        channel=channel,
        rules=AlertRules(ship_warn=timedelta(hours=settings.ship_warn_hours)),
    )


def run(settings: Settings) -> None:
    missing = settings.missing_slack_settings() + settings.missing_marketplace_settings()
    if missing:  # all of them at once, not in two rounds
        raise missing_settings(missing)
    slack = bot_settings(settings)
    check_slack_token(WebClient(base_url=slack.api_url, token=slack.bot_token))
    with contextlib.ExitStack() as stack:
        core = build_core(settings)
        stack.callback(core.close)
        app = build_app(services=core.services, settings=slack)
        channel = None
        if slack.alert_channel:  # a client of its own: it waits out 429s on the scheduler's thread
            client = alerts_client(slack.api_url, slack.bot_token)
            channel = SlackPoster(client, slack.alert_channel)
        pilot = autopilot(core, settings, channel=channel).start()
        stack.callback(pilot.stop)
        metrics = serve_metrics(settings)
        if metrics is not None:
            stack.callback(metrics.stop)
        health = health_check(core)
        if slack.app_token:
            from bot.socket_mode import run_socket_mode

            # Slack's requests come over the socket; TikTok's pushes and health checks still
            # need a port, with the same limits as in HTTP mode.
            http = start_server(
                None, health=health, webhook=pilot.webhook, host="0.0.0.0", port=settings.port
            )
            stack.callback(http.stop)
            log.info(
                "connecting to Slack over Socket Mode; serving /tiktok/webhook and /healthz on "
                "port %s",
                http.port,
            )
            run_socket_mode(app, slack.app_token)
        else:
            log.info(
                "serving /slack/events, /tiktok/webhook and /healthz on port %s", settings.port
            )
            serve(app, port=settings.port, health=health, webhook=pilot.webhook)


def check_slack_token(client: WebClient) -> None:
    """auth.test, once at start: a token Slack refuses is a configuration error, said now."""
    try:
        who = client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        raise ConfigError(f"Slack refused SLACK_BOT_TOKEN (auth.test: {error})") from None
    except OSError as exc:  # URLError included: Slack could not be reached
        raise ConfigError(
            f"cannot reach Slack at SLACK_API_URL {client.base_url} to check SLACK_BOT_TOKEN "
            f"({getattr(exc, 'reason', exc)})"
        ) from None
    log.info("Slack accepted SLACK_BOT_TOKEN: bot %s in workspace %s", who["user"], who["team"])


def serve_metrics(settings: Settings) -> RunningServer | None:
    """GET /metrics on ORDERBOT_METRICS_HOST:ORDERBOT_METRICS_PORT; a port already taken (say,
    by another instance on this host) costs the metrics, not the service."""
    try:
        server = start_metrics_server(host=settings.metrics_host, port=settings.metrics_port)
    except OSError as exc:
        log.warning(
            "GET /metrics is not served: cannot listen on %s:%s (%s)",
            settings.metrics_host,
            settings.metrics_port,
            exc.strerror or exc,
        )
        return None
    log.info("serving GET /metrics at %s/metrics", server.url)
    return server
