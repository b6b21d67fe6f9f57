"""A real `orderbot fetch` / `orderbot exec` that meets an error nobody planned for (review
finding 4: ORDERBOT_SECRET_KEY changed after tokens were stored) says so in one clear line and
exits non-zero: no traceback (SPEC §5)."""

import subprocess

import pytest

from orderbot.compose import build_core
from storage import queries
from tests.utils.processes import BIN
from tests.utils.settings import core_settings, settings_environment

OTHER_KEY = "another-secret-key-0123456789-abcdefghijkl"
NAMED = "ORDERBOT_SECRET_KEY"  # what the error names, however it is worded


@pytest.fixture
def settings(shops, database_url, db):
    """Settings whose refreshed TikTok tokens are stored, encrypted with their key (`db`: the
    schema, migrated as `orderbot db upgrade` does)."""
    settings = core_settings(shops, database_url)
    core = build_core(settings, client_options={"sleep": lambda _s: None})
    try:
        shops.tiktok.add_order(skus=[shops.catalog.cases["unique"][0]])
        shops.tiktok.expire_access_tokens()
        assert core.services.engine.fetch().error is None
        with core.services.sessions() as session:
            assert queries.get_credential(session, shop_id=core.services.shop_id, platform="tiktok")
    finally:
        core.close()
    return settings


def orderbot(settings, tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**settings_environment(settings), "ORDERBOT_SECRET_KEY": OTHER_KEY}
    return subprocess.run(
        [str(BIN), *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )


def test_fetch_with_undecryptable_tokens_fails_in_one_clear_line(settings, tmp_path):
    done = orderbot(settings, tmp_path, "fetch")

    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "Traceback" not in output and "most recent call" not in output
    assert "Fetch stopped" in done.stdout and NAMED in done.stdout
    (line,) = done.stderr.splitlines()
    assert line.startswith("orderbot: ") and NAMED in line


def test_exec_of_a_command_that_crashes_fails_in_one_clear_line(settings, shops, tmp_path):
    order_id = shops.tiktok.orders()[0]["id"]

    done = orderbot(settings, tmp_path, "exec", f"/orders cancel {order_id} out of stock")

    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "Traceback" not in output and "most recent call" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("orderbot: ") and NAMED in lines[0]
