"""The `orderbot` command line against the sandbox marketplaces."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import core_settings
from typer.testing import CliRunner

from orderbot.cli import app
from orderbot.settings import reveal

BIN = Path(sys.executable).parent / "orderbot"
BUYER_DATA = ("address_line1", "phone_number", "postal_code", "buyer_email", "full_address")


@pytest.fixture
def env(shops, tmp_path, monkeypatch):
    settings = core_settings(shops, f"sqlite:///{tmp_path / 'cli.db'}")
    values = {
        field.alias: str(reveal(getattr(settings, name)))
        for name, field in type(settings).model_fields.items()
        if getattr(settings, name) is not None and field.alias
    }
    monkeypatch.chdir(tmp_path)  # no stray .env file is read
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def invoke(*args):
    return CliRunner().invoke(app, list(args))


def test_fetch_prints_a_summary_and_exec_shows_the_grid(env, shops):
    shops.tiktok.seed_orders(15)
    fetched = invoke("fetch")
    assert fetched.exit_code == 0, fetched.output
    assert "Fetch finished" in fetched.output and "New:" in fetched.output

    status = invoke("exec", "/orders status all")
    assert status.exit_code == 0
    assert "TTS order ID" in status.output and "Order Status" in status.output
    any_id = shops.tiktok.orders()[0]["id"]
    assert any_id in status.output
    shown = invoke("exec", f"show {any_id}")
    assert shown.exit_code == 0 and "History" in shown.output
    for order in shops.tiktok.orders():
        address = (order.get("recipient_address") or {}).get("address_line1")
        if address:
            assert address not in status.output + shown.output


def test_exec_json_is_block_kit(env, shops):
    invoke("fetch")
    result = invoke("exec", "status failed", "--json")
    assert result.exit_code == 0
    payload = json.loads(result.output)
    assert payload["text"] and isinstance(payload["blocks"], list)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("status nowhere", "awaiting-shipment"),
        ("show 123", "No order 123"),
        ("show abc", "not a TikTok order id"),
        ("cancel", "order"),
        ("frobnicate", "help"),
    ],
)
def test_exec_refuses_bad_input_with_a_clear_message_and_non_zero(env, text, message):
    result = invoke("exec", text)
    assert result.exit_code != 0
    assert message in result.output


def test_fetch_with_bad_credentials_says_so_and_fails(env, monkeypatch):
    monkeypatch.setenv("TIKTOK_APP_SECRET", "not-the-secret")
    result = invoke("fetch")
    assert result.exit_code == 1
    assert "sign" in result.output.lower() or "credential" in result.output.lower()


def test_missing_settings_are_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("TIKTOK_", "ETSY_", "ORDERBOT_")):
            monkeypatch.delenv(name)
    result = invoke("fetch")
    assert result.exit_code == 2
    assert "TIKTOK_APP_KEY" in result.output and "ETSY_ACCESS_TOKEN" in result.output


def test_db_upgrade_creates_the_schema(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    result = invoke("db", "upgrade")
    assert result.exit_code == 0 and "up to date" in result.output
    assert (tmp_path / "new.db").exists()


def test_demo_runs_commands_and_exits_zero(tmp_path):
    result = subprocess.run(
        [str(BIN), "demo", "--orders", "8", "--run", "/orders status all", "--run", "help"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Fetch finished" in result.stdout and "TTS order ID" in result.stdout
    assert "/orders fetch" in result.stdout  # help lists the commands
    assert not any(field in result.stdout for field in BUYER_DATA)


def test_demo_console_ends_cleanly_at_end_of_input(tmp_path):
    result = subprocess.run(
        [str(BIN), "demo", "--orders", "5"],
        input="status on-hold\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "On Hold" in result.stdout
