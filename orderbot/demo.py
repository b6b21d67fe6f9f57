"""`orderbot demo` and `orderbot sandbox`: everything local, against the emulators."""

import contextlib
import secrets
import tempfile
import threading
from pathlib import Path

from rich.console import Console

from orderbot import console
from orderbot.compose import build_core
from orderbot.settings import Settings
from sandbox.marketplaces import Marketplaces


def demo_settings(env: dict[str, str], database_url: str) -> Settings:
    values = {
        **env,
        "DATABASE_URL": database_url,
        # The demo's own throwaway key; real installs set ORDERBOT_SECRET_KEY.
        "ORDERBOT_SECRET_KEY": secrets.token_urlsafe(32),
    }
    return Settings(_env_file=None, **values)


def run_demo(*, orders: int, texts: list[str], out: Console) -> int:
    with tempfile.TemporaryDirectory(prefix="orderbot-demo-") as folder, Marketplaces() as shops:
        shops.tiktok.seed_orders(orders)
        settings = demo_settings(shops.environment(), f"sqlite:///{Path(folder) / 'demo.db'}")
        core = build_core(settings)
        try:
            out.print(
                f"Sandbox: TikTok Shop at {shops.tiktok.url}, Etsy at {shops.etsy.url}; "
                f"{orders} TikTok orders, {len(shops.catalog.listings)} Etsy listings.",
                markup=False,
            )
            console.show(console.run_text("fetch", core.services, out), out)
            if texts:
                for text in texts:
                    out.print(f"\n> {text}", markup=False)
                    console.show(console.run_text(text, core.services, out), out)
                return 0
            console.interactive(core.services, out)
            return 0
        finally:
            core.close()


def serve_sandbox(*, orders: int, out: Console) -> None:
    with Marketplaces() as shops:
        shops.tiktok.seed_orders(orders)
        out.print("Sandbox marketplaces are running. Point orderbot at them with:\n", markup=False)
        for name, value in shops.environment().items():
            out.print(f"{name}={value}", markup=False, highlight=False)
        out.print("ORDERBOT_SECRET_KEY=<any long random value>", markup=False)
        out.print("\nCtrl-C stops them.", markup=False)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
