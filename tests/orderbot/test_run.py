"""`orderbot run` in HTTP mode: a real process, signed Slack requests, /healthz and /metrics."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier
from support import core_settings, settings_environment, start_orderbot_run

from sandbox.slack import SlackSandbox

BIN = Path(sys.executable).parent / "orderbot"
SECRET = "run-test-signing-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def running(shops, tmp_path):
    slack = SlackSandbox().start()
    port, metrics_port = free_port(), free_port()
    settings = core_settings(shops, f"sqlite:///{tmp_path / 'run.db'}")
    env = {
        **os.environ,
        **settings_environment(settings),
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.url,
        "ORDERBOT_ADMINS": "UADMIN",
        "ORDERBOT_METRICS_PORT": str(metrics_port),
    }
    env.pop("SLACK_APP_TOKEN", None)
    process, base = start_orderbot_run(env, port, tmp_path)
    yield base, slack, f"http://127.0.0.1:{metrics_port}"
    process.terminate()
    process.wait(timeout=10)
    slack.stop()


def signed(body: str, timestamp: int) -> dict:
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=str(timestamp), body=body)
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": str(timestamp),
        "x-slack-signature": signature,
    }


def slash(slack, text: str) -> str:
    return urlencode(
        {
            "token": "legacy",
            "team_id": "T1",
            "team_domain": "shop",
            "channel_id": "C1",
            "channel_name": "orders",
            "user_id": "UADMIN",
            "user_name": "admin",
            "command": "/orders",
            "text": text,
            "api_app_id": "A1",
            "is_enterprise_install": "false",
            "response_url": slack.response_url("run-test"),
            "trigger_id": "1.2.3",
        }
    )


def test_run_serves_slack_health_and_metrics(running):
    base, slack, metrics_base = running
    health = httpx.get(f"{base}/healthz").json()
    assert health["ok"] is True and health["database"] == "ok"

    body = slash(slack, "status all")
    started = time.monotonic()
    answer = httpx.post(
        f"{base}/slack/events", content=body, headers=signed(body, int(time.time()))
    )
    assert answer.status_code == 200
    assert time.monotonic() - started < 3
    replies = slack.wait_for(lambda: slack.responses("run-test"), timeout=10)
    assert any("Orders per section" in str(reply) for reply in replies)

    stale = httpx.post(
        f"{base}/slack/events", content=body, headers=signed(body, int(time.time()) - 600)
    )
    assert stale.status_code == 401
    forged = signed(body, int(time.time()))
    forged["x-slack-signature"] = "v0=" + "0" * 64
    assert httpx.post(f"{base}/slack/events", content=body, headers=forged).status_code == 401

    assert httpx.get(f"{base}/metrics").status_code == 404  # not on the public port
    metrics = httpx.get(f"{metrics_base}/metrics").text
    assert "orderbot" in metrics


def test_run_refuses_to_start_without_slack_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    result = subprocess.run(
        [str(BIN), "run"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr
