"""Two orderbot processes on one PostgreSQL database: one fetch at a time, nothing doubled."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import core_settings, reset_postgres_schema

from orderbot.compose import build_core
from orderbot.settings import reveal
from sandbox.marketplaces import Marketplaces
from storage.db import make_engine, migrate

BIN = Path(sys.executable).parent / "orderbot"
ORDERS = 150

pytestmark = pytest.mark.skipif(
    not os.environ.get("ORDERBOT_TEST_POSTGRES_URL"),
    reason="ORDERBOT_TEST_POSTGRES_URL is not set (.ci/run sets it)",
)


def environment(settings) -> dict[str, str]:
    values = {
        field.alias: str(reveal(getattr(settings, name)))
        for name, field in type(settings).model_fields.items()
        if getattr(settings, name) is not None and field.alias
    }
    return {**os.environ, **values}


def reference_quantities(tmp_path) -> dict:
    """The same seed and orders, fetched once by one in-process core."""
    with Marketplaces(
        seed=7, tiktok_options={"rate_per_s": 1000}, etsy_options={"rate_per_s": 1000}
    ) as shops:
        shops.tiktok.seed_orders(ORDERS)
        core = build_core(core_settings(shops, f"sqlite:///{tmp_path / 'ref.db'}"))
        try:
            assert core.services.engine.fetch().error is None
        finally:
            core.close()
        return shops.etsy.quantities()


def test_two_processes_never_fetch_at_once_or_reserve_twice(tmp_path, postgres_server_url):
    reset_postgres_schema(postgres_server_url)
    migrate(make_engine(postgres_server_url))
    with Marketplaces(
        seed=7, tiktok_options={"rate_per_s": 1000}, etsy_options={"rate_per_s": 1000}
    ) as shops:
        shops.tiktok.seed_orders(ORDERS)
        env = environment(core_settings(shops, postgres_server_url))

        def fetch() -> subprocess.Popen:
            return subprocess.Popen(
                [str(BIN), "fetch"],
                env=env,
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )

        # Hold the first fetch in its Etsy phase until the second has come and gone.
        shops.etsy.faults.latency_ms = 300
        first = fetch()
        deadline = time.monotonic() + 60
        while not any("/orders/search" in call.path for call in shops.tiktok.calls):
            assert time.monotonic() < deadline and first.poll() is None, "first fetch never began"
            time.sleep(0.05)  # polling for a start with a deadline, not asserting after a sleep
        second = fetch()
        second_out = second.communicate(timeout=120)[0]
        shops.etsy.faults.latency_ms = 0
        first_out = first.communicate(timeout=180)[0]

        assert second.returncode == 1 and "already running" in second_out
        assert first.returncode == 0, first_out
        final = subprocess.run(
            [str(BIN), "fetch"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180
        )
        assert final.returncode == 0, final.stdout + final.stderr
        shared = shops.etsy.quantities()
    assert shared == reference_quantities(tmp_path)
