"""The background half of `orderbot run` and the demo: the scheduler, the TikTok webhook with its
worker, and the alert outbox, wired here (the composition root) and started and stopped together.

The outbox (`sync.alerts.Outbox`) knows neither words nor Slack: `build_outbox` hands it
`channel.render(content_of(view))` for alerts and `channel.render(digest_content(view))` for the
digest, and the channel itself as its poster.
"""

import logging
import threading
from datetime import UTC, tzinfo
from typing import Any, Protocol

from bot.jobs import JobContext, build_scheduler
from bot.schedule import Schedule
from bot.webhook import RefreshWorker, TikTokWebhook
from commands.alerts import content_of, digest_content
from commands.context import Services
from commands.replies import Reply
from orderbot.compose import Core, Relay
from sync import lifecycle
from sync.alerts import AlertRules, Outbox, Poster
from sync.clock import Clock
from sync.engine import Engine

log = logging.getLogger(__name__)


class AlertChannel(Poster, Protocol):
    """Where alerts go (`sync.alerts.Poster`), and how a Reply reads there (Block Kit for
    Slack, the Reply itself for the demo's console)."""

    def render(self, reply: Reply) -> Any: ...


def build_outbox(
    services: Services,
    channel: AlertChannel,
    *,
    rules: AlertRules = AlertRules(),
    zone: tzinfo = UTC,
) -> Outbox:
    return Outbox(
        sessions=services.sessions,
        shop_id=services.shop_id,
        poster=channel,
        clock=services.clock,
        render=lambda view: channel.render(content_of(view)),
        render_digest=lambda view: channel.render(digest_content(view)),
        rules=rules,
        zone=zone,
    )


class Autopilot:
    """The scheduler, the webhook worker and the webhook handler, started and stopped together.
    With an outbox, an alert a command changed (`alert_changed`, the core's relay) has its
    message updated at once, on a thread of its own so the command's answer never waits."""

    def __init__(
        self,
        *,
        engine: Engine,
        schedule: Schedule,
        clock: Clock,
        app_key: str,
        app_secret: str,
        outbox: Outbox | None,
        alert_changed: Relay | None = None,
    ):
        if outbox is None:
            log.warning("no alert channel is configured (ORDERBOT_ALERT_CHANNEL): no alerts")
        self.jobs = JobContext(engine=engine, schedule=schedule, clock=clock, outbox=outbox)
        self.worker = RefreshWorker(
            engine.refresh_pushed,  # the order and its return and cancellation requests
            after=self.jobs.kick_alerts,
            resolve_shop=lambda: lifecycle.tiktok_shop_id(engine),
        )
        self.webhook = TikTokWebhook(app_key=app_key, app_secret=app_secret, worker=self.worker)
        self.scheduler = build_scheduler(self.jobs)
        self._alert_changed = alert_changed if outbox is not None else None
        if self._alert_changed is not None:
            self._alert_changed.connect(self.refresh_soon)

    @property
    def outbox(self) -> Outbox | None:
        return self.jobs.outbox

    def refresh_soon(self, key: str) -> None:
        """Update the alert `key`'s message now, on a thread of its own."""
        threading.Thread(
            target=self._refresh, args=(key,), name="orderbot-alert-refresh", daemon=True
        ).start()

    def _refresh(self, key: str) -> None:
        try:
            self.jobs.outbox.refresh(key)
        except Exception:  # a background thread: nobody else would hear of it
            log.exception("updating alert %s failed; the next alerts run tries again", key)

    def start(self) -> "Autopilot":
        self.worker.start()
        self.scheduler.start()
        log.info(
            "scheduler started: %s",
            ", ".join(
                f"{job.id} next at {job.next_run_time:%H:%M:%S}"
                for job in self.scheduler.get_jobs()
            ),
        )
        return self

    def stop(self) -> None:
        if self._alert_changed is not None:
            self._alert_changed.disconnect(self.refresh_soon)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.worker.stop()


def build_autopilot(
    core: Core,
    *,
    schedule: Schedule,
    app_key: str,
    app_secret: str,
    channel: AlertChannel | None,
    rules: AlertRules = AlertRules(),
) -> Autopilot:
    """The autopilot for `core` (not started): alerts go to `channel`, none without one."""
    services = core.services
    return Autopilot(
        engine=services.engine,
        schedule=schedule,
        clock=services.clock,
        app_key=app_key,
        app_secret=app_secret,
        outbox=(
            build_outbox(services, channel, rules=rules, zone=schedule.timezone)
            if channel is not None
            else None
        ),
        alert_changed=core.alert_changed,
    )
