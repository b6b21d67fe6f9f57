"""The factory's own promises, and the import boundaries of the files the Slack side owns."""

import pytest
from slack_sdk import WebClient

from bot.app import build_app
from bot.core import load_core
from bot.settings import BotSettings
from tests.utils.source import ROOT, imported_roots

ORDERBOT_PACKAGES = {"orderbot", "bot", "commands", "sync", "storage", "sandbox"}


def test_bot_never_imports_the_sandbox_or_the_composition_root():
    for path in (ROOT / "bot").rglob("*.py"):
        assert not imported_roots(path) & {"sandbox", "orderbot"}, path


def test_the_slack_emulator_imports_no_orderbot_code():
    modules = sorted((ROOT / "sandbox" / "slack").glob("*.py"))
    assert len(modules) >= 4
    for module in modules:
        assert imported_roots(module) & ORDERBOT_PACKAGES <= {"sandbox"}, module


def test_settings_keep_secrets_out_of_their_repr():
    settings = BotSettings(
        bot_token="xoxb-secret", signing_secret="sig-secret", app_token="xapp-secret"
    )
    shown = repr(settings)
    assert "secret" not in shown and "socket_mode=True" in shown


def test_a_client_without_the_token_is_refused():
    settings = BotSettings(bot_token="xoxb-1", signing_secret="s")
    with pytest.raises(ValueError, match="token"):
        build_app(services=None, settings=settings, client=WebClient(), core=load_core())


def test_the_default_client_points_at_the_configured_api():
    settings = BotSettings(
        bot_token="xoxb-1", signing_secret="s", api_url="http://127.0.0.1:9/api/"
    )
    app = build_app(services=None, settings=settings, core=load_core())
    assert app.client.base_url == "http://127.0.0.1:9/api/" and app.client.token == "xoxb-1"
