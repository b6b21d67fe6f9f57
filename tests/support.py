"""Helpers shared by test modules (fixtures live in conftest.py)."""

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text


def reset_postgres_schema(url: str) -> None:
    """An empty schema: tests sharing the session's PostgreSQL database start from nothing."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def core_settings(shops, database_url: str, **extra):
    from orderbot.settings import Settings

    values = {
        **shops.environment(),
        "DATABASE_URL": database_url,
        "ORDERBOT_SECRET_KEY": "test-secret-key-0123456789-abcdefghijkl",
        "ORDERBOT_ETSY_RATE": "1000",
        "ORDERBOT_TIKTOK_RATE": "1000",
        **extra,
    }
    return Settings(_env_file=None, **values)


def stock(shops, sku: str) -> int:
    """The Etsy quantity of a SKU (products sharing a SKU share it)."""
    levels = {q for (_, product_sku, _), q in shops.etsy.quantities().items() if product_sku == sku}
    assert len(levels) == 1, f"{sku}: {levels}"
    return levels.pop()


def settings_environment(settings) -> dict[str, str]:
    """Settings as the environment variables (SPEC §7 names) a child process reads."""
    from orderbot.settings import reveal

    return {
        field.alias: str(reveal(getattr(settings, name)))
        for name, field in type(settings).model_fields.items()
        if getattr(settings, name) is not None and field.alias
    }


def start_orderbot_run(env: dict[str, str], port: int, cwd):
    """A real `orderbot run` in HTTP mode, once /healthz answers: (process, base URL)."""
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "orderbot"), "run"],
        env={**env, "PORT": str(port)},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)  # polling for start-up with a deadline, not asserting after a sleep
    process.kill()
    pytest.fail(f"orderbot run did not start: {process.stdout.read().decode()[-2000:]}")
