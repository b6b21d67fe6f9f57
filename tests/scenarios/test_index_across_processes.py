"""Separate `orderbot fetch` processes share one SKU index through the database: only the
first walks the shop, a later one refreshes it with a page per listing state."""

import os
import subprocess
from pathlib import Path

from tests.utils.processes import BIN
from tests.utils.settings import core_settings, settings_environment


def fetch_in_a_new_process(env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(
        [str(BIN), "fetch"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_a_second_fetch_process_uses_the_index_the_first_one_built(shops, tmp_path):
    env = settings_environment(core_settings(shops, f"sqlite:///{tmp_path / 'shared.db'}"))

    first = fetch_in_a_new_process(env, tmp_path)
    shops.etsy.reset_calls()
    second = fetch_in_a_new_process(env, tmp_path)

    assert "full walk (first build)" in first
    assert "incremental: 0 listings changed (3 Etsy calls)" in second
    calls = [c for c in shops.etsy.calls if c.path.startswith("/v3/application/")]
    assert len(calls) == 3
    assert {c.query["state"] for c in calls} == {"active", "sold_out", "inactive"}
