"""The command line explains itself: settings problems in one line and one round, help without
any settings, a version, and a start that loads no database or Slack library it does not use."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orderbot.cli import app
from tests.utils.settings import core_settings, settings_environment

BIN = Path(sys.executable).parent / "orderbot"
HEAVY = ("sqlalchemy", "alembic", "sqlmodel", "slack_bolt", "slack_sdk", "pydantic_settings")
SETTINGS_PREFIXES = ("TIKTOK_", "ETSY_", "ORDERBOT_", "SLACK_", "DATABASE_URL", "PORT")


def bare_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS_PREFIXES)}


@pytest.fixture
def bare(tmp_path, monkeypatch):
    """No orderbot setting at all, in a folder without a .env."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(SETTINGS_PREFIXES):
            monkeypatch.delenv(name)


def invoke(*args):
    return CliRunner().invoke(app, list(args))


def one_line(output: str) -> str:
    (line,) = output.strip().splitlines()
    return line


def test_missing_settings_come_in_one_line_that_points_at_the_demo(bare):
    result = invoke("fetch")
    assert result.exit_code == 2
    line = one_line(result.output)
    assert line.startswith("orderbot: ") and "orderbot: orderbot" not in line
    assert "TIKTOK_APP_KEY" in line and "ORDERBOT_SECRET_KEY" in line
    assert "orderbot demo" in line and "orderbot sandbox" in line


def test_run_names_the_slack_and_marketplace_settings_together(tmp_path):
    # A process of its own: `run` points the root logger at its stderr.
    result = subprocess.run(
        [str(BIN), "run"],
        env=bare_environment(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    line = one_line(result.stderr)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "TIKTOK_APP_KEY", "ETSY_SHOP_ID"):
        assert name in line


@pytest.mark.parametrize(("text", "code"), [("/orders help", 0), ("help", 0), ("frobnicate", 1)])
def test_exec_of_help_and_of_unknown_text_needs_no_settings(bare, text, code):
    result = invoke("exec", text)
    assert result.exit_code == code, result.output
    assert "/orders fetch" in result.output or "Unknown command" in result.output
    as_json = invoke("exec", "--json", text)
    assert as_json.exit_code == code and json.loads(as_json.output)["blocks"]


def test_a_bad_setting_is_one_line_naming_it(bare, monkeypatch):
    monkeypatch.setenv("ORDERBOT_SECRET_KEY", "a")
    monkeypatch.setenv("PORT", "not-a-port")
    result = invoke("db", "upgrade")
    assert result.exit_code == 2
    line = one_line(result.output)
    assert "ORDERBOT_SECRET_KEY is 1 characters long" in line and "PORT" in line
    assert "Traceback" not in result.output


def test_a_changed_secret_key_is_a_clear_one_line_error(shops, tmp_path, monkeypatch):
    env = settings_environment(core_settings(shops, f"sqlite:///{tmp_path / 'cli.db'}"))
    monkeypatch.chdir(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    shops.tiktok.seed_orders(3)
    shops.tiktok.expire_access_tokens()
    shops.etsy.expire_access_tokens()
    assert invoke("fetch").exit_code == 0  # refreshed tokens are stored, encrypted

    monkeypatch.setenv("ORDERBOT_SECRET_KEY", "another-key-" + "x7" * 16)
    result = invoke("fetch")
    assert result.exit_code == 1  # the fetch ran and failed: recorded as a failed fetch
    assert "the stored marketplace tokens cannot be decrypted" in result.output
    assert "ORDERBOT_SECRET_KEY_PREVIOUS" in result.output
    assert "Traceback" not in result.output and "ValueError" not in result.output

    monkeypatch.setenv("ORDERBOT_SECRET_KEY_PREVIOUS", env["ORDERBOT_SECRET_KEY"])
    assert invoke("fetch").exit_code == 0  # rotation: the previous key opens them


def test_version_and_help_without_type_noise(bare):
    version = invoke("--version")
    assert version.exit_code == 0 and version.output.startswith("orderbot ")
    for args in (["--help"], ["exec", "--help"], ["demo", "--help"], ["sandbox", "--help"]):
        shown = invoke(*args)
        assert shown.exit_code == 0
        assert "<bool>" not in shown.output and "<int>" not in shown.output, args


def loaded_after(code: str) -> list[str]:
    """The heavy packages loaded by a fresh interpreter after `code` (run with no settings)."""
    probe = (
        "import sys\n"
        f"{code}\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        env=bare_environment(),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1].replace("'", '"'))


def test_importing_the_cli_loads_no_database_or_slack_library():
    assert loaded_after("import orderbot.cli") == []


@pytest.mark.parametrize("argv", [["--help"], ["exec", "/orders help"], ["exec", "nonsense"]])
def test_help_and_offline_exec_load_no_database_or_slack_library(argv):
    run_cli = f"from orderbot.cli import app\ntry:\n    app({argv!r})\nexcept SystemExit:\n    pass"
    assert loaded_after(run_cli) == []


def test_run_with_a_token_slack_refuses_stops_with_one_line(shops, tmp_path):
    from sandbox.slack import SlackSandbox

    slack = SlackSandbox().start()
    try:
        env = {
            **bare_environment(),
            **settings_environment(core_settings(shops, f"sqlite:///{tmp_path / 'r.db'}")),
            "SLACK_BOT_TOKEN": "xoxb-revoked",
            "SLACK_SIGNING_SECRET": "s3cret",
            "SLACK_API_URL": slack.url,
        }
        result = subprocess.run(
            [str(BIN), "run"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
    finally:
        slack.stop()
    assert result.returncode == 2
    assert "orderbot: Slack refused SLACK_BOT_TOKEN (auth.test: invalid_auth)" in result.stderr
    assert "Traceback" not in result.stderr
