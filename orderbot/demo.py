"""`orderbot demo` and `orderbot sandbox`: everything local, against the emulators."""

import contextlib
import secrets
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

from rich.console import Console

from bot.webhook import PATH as WEBHOOK_PATH
from bot.webhook import start_webhook_server
from orderbot import console
from orderbot.compose import build_core
from orderbot.console_alerts import ConsoleAlerts
from orderbot.runtime import autopilot, schedule_of
from orderbot.sandbox_console import HELP as SANDBOX_HELP
from orderbot.sandbox_console import sandbox_commands
from orderbot.settings import Settings, reveal
from sandbox.marketplaces import Marketplaces
from storage import queries
from sync import sections
from sync.shipping import TO_SHIP_SECTIONS
from sync.tiktok.models import ShippingType


def demo_settings(env: dict[str, str], database_url: str) -> Settings:
    values = {
        **env,
        "DATABASE_URL": database_url,
        # The demo's own throwaway key; real installs set ORDERBOT_SECRET_KEY.
        "ORDERBOT_SECRET_KEY": secrets.token_urlsafe(32),
    }
    return Settings(_env_file=None, **values)


DEMO_ALERTS_EVERY = timedelta(seconds=2)


def run_demo(*, orders: int, texts: list[str], out: Console) -> int:
    with tempfile.TemporaryDirectory(prefix="orderbot-demo-") as folder, Marketplaces() as shops:
        later = shops.seed_demo(orders)
        settings = demo_settings(shops.environment(), f"sqlite:///{Path(folder) / 'demo.db'}")
        core = build_core(settings)
        schedule = schedule_of(settings, alerts_every=DEMO_ALERTS_EVERY, fetch_at_start=False)
        alerts = ConsoleAlerts(out)
        pilot = autopilot(core, settings, channel=alerts, schedule=schedule)
        hook = None
        stack = contextlib.ExitStack()
        try:
            total = len(shops.tiktok.orders())
            out.print(
                f"Sandbox: TikTok Shop at {shops.tiktok.url}, Etsy at {shops.etsy.url}; "
                f"{total} TikTok orders ({orders} random, the rest staged in every section), "
                f"{len(shops.catalog.listings)} Etsy listings.",
                markup=False,
            )
            first = console.run_text("fetch", core.services, out)
            console.show(first, out)
            # From here TikTok's pushes reach orderbot's webhook endpoint on loopback, and the
            # scheduler fetches, refreshes, completes and posts alerts (printed as text).
            hook = start_webhook_server(pilot.webhook)
            shops.tiktok.webhook_url = f"{hook.url}{WEBHOOK_PATH}"
            pilot.start()
            out.print(
                f"Scheduler running (fetch every {settings.fetch_interval_minutes:g} min); TikTok "
                f"webhooks go to {shops.tiktok.webhook_url}; alerts print here as [alert n], "
                "their buttons as [n: Label] (type one to press it). `sandbox` lists the "
                "controls that move orders along.",
                markup=False,
            )
            hint = ship_hint(core)
            if hint:
                out.print(hint, markup=False)
            shops.play_later(later)  # a buyer cancels, a parcel is lost: TikTok pushes both
            pilot.jobs.kick_alerts()
            slack = connect_slack(core, out)
            if slack is not None:
                stack.callback(slack.close)
            session = console.ConsoleSession(
                core.services,
                out,
                last=first,  # its buttons can be pressed
                local=sandbox_commands(shops.tiktok),
                local_help=SANDBOX_HELP,
                alerts=alerts,
            )
            if texts:
                for text in texts:
                    out.print(f"\n> {text}", markup=False)
                    with alerts.holding():
                        console.show(session.answer(text), out)
                    pilot.jobs.kick_alerts()
                return 0
            console.interactive(session, out)
            return 0
        finally:
            stack.close()
            shops.tiktok.webhook_url = None
            if hook is not None:
                hook.stop()
            pilot.stop()
            core.close()


# Fits the sandbox's USPS numbers only, so TikTok's emulator ships it without a warning.
DEMO_TRACKING = "9400111899223456789012"


def ship_hint(core) -> str | None:
    """How to ship the order due soonest, as a packer would, and watch it move."""
    services = core.services
    with services.sessions() as session:
        soonest = queries.orders_to_ship(
            session,
            shop_id=services.shop_id,
            statuses=(sections.AWAITING_SHIPMENT,),
            sections=TO_SHIP_SECTIONS,
            shipping_type=ShippingType.SELLER,
            page=1,
            page_size=1,
        )
    if not soonest:
        return None
    oid = soonest[0][0].tiktok_order_id
    return (
        f"To ship an order as a packer would: /orders ship {oid} usps {DEMO_TRACKING} sends its "
        f"tracking number to TikTok and it moves to Awaiting Collection (/orders show {oid}); "
        f"`sandbox scan {oid}` is the carrier's scan (In Transit). /orders due lists every order "
        "still to ship; [Ship…] on an order shows TikTok's carriers."
    )


def connect_slack(core, out: Console):
    """With SLACK_BOT_TOKEN and SLACK_APP_TOKEN set, the demo also answers /orders in Slack
    over Socket Mode (against the sandbox marketplaces); the handler, or None."""
    real = Settings()
    if real.missing_slack_settings() or not reveal(real.slack_app_token):
        return None
    from bot.app import build_app
    from bot.socket_mode import socket_mode_handler
    from orderbot.runtime import bot_settings

    handler = socket_mode_handler(
        build_app(services=core.services, settings=bot_settings(real)), reveal(real.slack_app_token)
    )
    handler.connect()
    out.print("Connected to Slack over Socket Mode: /orders works there too.", markup=False)
    return handler


def serve_sandbox(*, orders: int, out: Console) -> None:
    with Marketplaces() as shops:
        shops.seed_demo(orders)
        out.print("Sandbox marketplaces are running. Point orderbot at them with:\n", markup=False)
        for name, value in shops.environment().items():
            out.print(f"{name}={value}", markup=False, highlight=False)
        out.print(f"ORDERBOT_SECRET_KEY={secrets.token_urlsafe(32)}", markup=False)
        out.print("\nCtrl-C stops them.", markup=False)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
