"""The HTTP runner: Slack request verification, health, metrics and the webhook mount."""

import json
import time

import httpx
import pytest

from bot.http_server import MAX_BODY, make_wsgi, start_metrics_server, start_server
from tests.utils.ids import ADMIN
from tests.utils.slack_requests import SlackRequests, encode, slash_command


def test_a_forged_signature_is_refused_and_nothing_runs(slack, slack_api, spy):
    body = slash_command("status all", user=ADMIN, response_url=slack_api.response_url("r1"))
    answer = slack.post(body, signature="v0=" + "0" * 64)
    assert answer.status == 401
    assert spy.commands() == [] and slack_api.responses("r1") == []


def test_a_request_older_than_five_minutes_is_refused(slack, slack_api, spy):
    body = slash_command("status all", user=ADMIN, response_url=slack_api.response_url("r1"))
    answer = slack.post(body, timestamp=int(time.time()) - 6 * 60)  # correctly signed, but stale
    assert answer.status == 401
    assert spy.commands() == [] and slack_api.responses("r1") == []


def test_a_body_changed_after_signing_is_refused(served, slack_api, spy):
    body = slash_command("help", user=ADMIN, response_url=slack_api.response_url("r1"))
    raw, content_type = encode(body)
    ts = str(int(time.time()))
    with SlackRequests(served.url) as good:
        signature = good.sign(raw, ts)
    tampered = raw.replace(b"help", b"fetch")
    answer = httpx.post(
        f"{served.url}/slack/events",
        content=tampered,
        headers={
            "content-type": content_type,
            "x-slack-request-timestamp": ts,
            "x-slack-signature": signature,
        },
    )
    assert answer.status_code == 401
    spy.reset()


def test_health_reports_the_callable_and_fails_closed():
    states = iter(
        [
            {"ok": True, "database": "ok", "last_fetch_age_s": 42},
            {"ok": False, "database": "unreachable"},
        ]
    )

    def broken():
        raise RuntimeError("password=hunter2")

    server = start_server(app=None, health=lambda: next(states))
    broken_server = start_server(app=None, health=broken)
    try:
        healthy = httpx.get(f"{server.url}/healthz")
        assert healthy.status_code == 200
        assert healthy.json() == {"ok": True, "database": "ok", "last_fetch_age_s": 42}
        down = httpx.get(f"{server.url}/healthz")
        assert down.status_code == 503 and down.json()["database"] == "unreachable"
        failing = httpx.get(f"{broken_server.url}/healthz")
        assert failing.status_code == 503 and "hunter2" not in failing.text
    finally:
        server.stop()
        broken_server.stop()


def test_metrics_expose_ack_latency_and_counts(slack, slack_api, served):
    slack.post(slash_command("status all", user=ADMIN, response_url=slack_api.response_url("m")))
    slack_api.wait_for(lambda: slack_api.responses("m"))
    assert httpx.get(f"{served.url}/metrics").status_code == 404  # not on the public port
    server = start_metrics_server()
    try:
        page = httpx.get(f"{server.url}/metrics")
    finally:
        server.stop()
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/plain")
    text = page.text
    assert 'orderbot_slack_ack_seconds_count{kind="command"}' in text
    assert 'orderbot_slack_commands_total{command="status"}' in text


def test_the_webhook_mount_passes_headers_and_the_raw_body():
    received = []

    def webhook(headers, body):
        received.append((headers, body))
        return 200, {"code": 0, "message": "success"}

    server = start_server(app=None, health=lambda: {"ok": True}, webhook=webhook)
    try:
        raw = b'{"type":1,"data":{"order_id":"576"}}'
        answer = httpx.post(
            f"{server.url}/tiktok/webhook",
            content=raw,
            headers={"Authorization": "sig123", "content-type": "application/json"},
        )
        assert answer.status_code == 200 and answer.json()["code"] == 0
        ((headers, body),) = received
        assert body == raw and headers["authorization"] == "sig123"
        assert httpx.get(f"{server.url}/tiktok/webhook").status_code == 405
    finally:
        server.stop()


def test_without_a_webhook_the_path_is_unknown():
    wsgi = make_wsgi(None, health=lambda: {"ok": True})
    statuses = []

    def start_response(status, headers):
        statuses.append(status)

    for method, path in [
        ("POST", "/tiktok/webhook"),
        ("GET", "/nowhere"),
        ("GET", "/slack/events"),
        ("POST", "/healthz"),
    ]:
        body = b"".join(wsgi({"REQUEST_METHOD": method, "PATH_INFO": path}, start_response))
        assert json.loads(body)["ok"] is False
    assert statuses == [
        "404 Not Found",
        "404 Not Found",
        "404 Not Found",  # no Bolt app: no Slack endpoint (Socket Mode)
        "405 Method Not Allowed",
    ]


@pytest.mark.parametrize("path", ["/slack/events", "/tiktok/webhook"])
def test_oversized_bodies_are_refused(path):
    server = start_server(app=None, health=lambda: {"ok": True}, webhook=lambda h, b: (200, {}))
    try:
        answer = httpx.post(f"{server.url}{path}", content=b"x" * (MAX_BODY + 1))
        assert answer.status_code == 413
    finally:
        server.stop()
