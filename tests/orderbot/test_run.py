"""`orderbot run` in HTTP mode: a real process, signed Slack requests, /healthz and /metrics."""

import os
import subprocess
import time

import httpx
import pytest

from tests.utils.ids import ADMIN
from tests.utils.processes import BIN, OrderbotRun
from tests.utils.settings import core_settings, settings_environment
from tests.utils.slack_requests import SlackRequests, slash_command

SECRET = "run-test-signing-secret"


@pytest.fixture
def running(shops, slack_api, tmp_path):
    settings = core_settings(shops, f"sqlite:///{tmp_path / 'run.db'}")
    env = {
        **os.environ,
        **settings_environment(settings),
        "SLACK_BOT_TOKEN": slack_api.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack_api.url,
        "ORDERBOT_ADMINS": ADMIN,
    }
    env.pop("SLACK_APP_TOKEN", None)
    run = OrderbotRun(env, tmp_path)
    try:
        served = run.serving()
        yield served.base, served.metrics
    finally:
        run.stop()


def test_run_serves_slack_health_and_metrics(running, slack_api):
    base, metrics_base = running
    health = httpx.get(f"{base}/healthz").json()
    assert health["ok"] is True and health["database"] == "ok"

    body = slash_command("status all", user=ADMIN, response_url=slack_api.response_url("run-test"))
    with SlackRequests(base, SECRET) as slack:
        answer = slack.post(body)
        # Acked with nothing: the reply is not in the ack, it follows at the response_url.
        assert answer.status == 200
        assert answer.body == b""
        replies = slack_api.wait_for(lambda: slack_api.responses("run-test"), timeout=10)
        assert any("Orders per section" in str(reply) for reply in replies)

        stale = slack.post(body, timestamp=int(time.time()) - 600)
        assert stale.status == 401
        assert slack.post(body, signature="v0=" + "0" * 64).status == 401

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
