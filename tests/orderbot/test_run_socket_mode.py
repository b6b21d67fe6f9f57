"""`orderbot run` in Socket Mode still listens on PORT for TikTok's pushes and health checks.

The Socket Mode connection itself is Bolt's and needs Slack; here `run_socket_mode` is replaced
by a stand-in that, while orderbot would be connected, probes what orderbot serves. Everything
else is `orderbot.runtime.run` as production calls it.
"""

import json
import socket

import httpx
import pytest

import bot.socket_mode
from bot.http_server import MAX_BODY
from orderbot.compose import ConfigError
from orderbot.runtime import run
from sandbox.slack import SlackSandbox
from sync import webhook as pushes
from tests.utils.settings import core_settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def slack():
    sandbox = SlackSandbox().start()
    yield sandbox
    sandbox.stop()


def settings_for(shops, slack, tmp_path, **overrides):
    values = {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": "socket-signing-secret",
        "SLACK_APP_TOKEN": "xapp-1-A0ORDERBOT-1-sandbox",
        "SLACK_API_URL": slack.url,
        "PORT": str(free_port()),
        "ORDERBOT_METRICS_PORT": str(free_port()),
    }
    return core_settings(shops, f"sqlite:///{tmp_path / 'socket.db'}", **(values | overrides))


def test_socket_mode_serves_the_webhook_health_and_metrics(shops, slack, tmp_path, monkeypatch):
    settings = settings_for(shops, slack, tmp_path)
    base = f"http://127.0.0.1:{settings.port}"
    seen = {}

    def connected(app, app_token):
        assert app_token == "xapp-1-A0ORDERBOT-1-sandbox"
        order_id = shops.tiktok.seed_orders(1)[0]
        push = json.dumps(
            {
                "type": 1,
                "shop_id": shops.tiktok.shop.id,
                "timestamp": 1,
                "data": {"order_id": order_id},
            }
        ).encode()
        signature = pushes.sign(shops.tiktok.app_key, shops.tiktok.app_secret, push)
        with httpx.Client(timeout=10) as http:
            seen["health"] = http.get(f"{base}/healthz")
            seen["push"] = http.post(
                f"{base}/tiktok/webhook", content=push, headers={"Authorization": signature}
            )
            seen["forged"] = http.post(
                f"{base}/tiktok/webhook", content=push, headers={"Authorization": "0" * 64}
            )
            seen["too big"] = http.post(f"{base}/tiktok/webhook", content=b"x" * (MAX_BODY + 1))
            seen["slack"] = http.post(f"{base}/slack/events", content=b"command=/orders")
            seen["public metrics"] = http.get(f"{base}/metrics")
            metrics = f"http://127.0.0.1:{settings.metrics_port}/metrics"
            seen["metrics"] = http.get(metrics)
        seen["order"] = order_id

    monkeypatch.setattr(bot.socket_mode, "run_socket_mode", connected)
    run(settings)

    assert seen["health"].status_code == 200 and seen["health"].json()["database"] == "ok"
    assert seen["push"].status_code == 200 and seen["push"].json()["queued"] == seen["order"]
    assert seen["forged"].status_code == 401
    assert seen["too big"].status_code == 413
    assert seen["slack"].status_code == 404  # Slack's requests come over the socket
    assert seen["public metrics"].status_code == 404
    assert seen["metrics"].status_code == 200 and "orderbot_" in seen["metrics"].text
    assert [call.method for call in slack.calls("auth.test")] == ["auth.test"]
    with pytest.raises(httpx.TransportError):  # stopped with the run
        httpx.get(f"{base}/healthz", timeout=2)


def test_run_refuses_a_token_slack_refuses(shops, slack, tmp_path, monkeypatch):
    settings = settings_for(shops, slack, tmp_path, SLACK_BOT_TOKEN="xoxb-not-the-token")
    monkeypatch.setattr(bot.socket_mode, "run_socket_mode", lambda app, token: pytest.fail())
    with pytest.raises(
        ConfigError, match=r"Slack refused SLACK_BOT_TOKEN \(auth.test: invalid_auth\)"
    ):
        run(settings)


def test_run_says_when_slack_cannot_be_reached(shops, slack, tmp_path, monkeypatch):
    with socket.socket() as held:  # bound, never listening: connections are refused
        held.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{held.getsockname()[1]}/api/"
        settings = settings_for(shops, slack, tmp_path, SLACK_API_URL=url)
        monkeypatch.setattr(bot.socket_mode, "run_socket_mode", lambda app, token: pytest.fail())
        with pytest.raises(ConfigError, match="cannot reach Slack at SLACK_API_URL"):
            run(settings)
