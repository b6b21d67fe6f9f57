"""The app-wide error handler answers only requests that passed verification (bot/errors.py).

Bolt calls it for errors raised in its own middleware too, before orderbot's middleware marks
the request as verified: then it must neither answer (the body names where the answer goes) nor
count an error. Here the failure is a genuine one, over Socket Mode: Bolt's authorization step
cannot reach Slack's auth.test.
"""

import logging
import socket
import threading

import pytest
from prometheus_client import REGISTRY
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.app import build_app
from bot.errors import VERIFIED, handle_error
from bot.settings import BotSettings
from bot.socket_mode import socket_mode_handler
from sandbox.server import HTTPApp, Response
from tests.utils.ids import ADMIN, SIGNING_SECRET
from tests.utils.slack_requests import slash_command


class Canary:
    def __init__(self) -> None:
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._http = HTTPApp(self._record).start()
        self.url = f"{self._http.url}/response-url"

    def _record(self, request) -> Response:
        with self._lock:
            self.requests.append(request.path)
        return Response(200, b"ok")

    def stop(self) -> None:
        self._http.stop()


@pytest.fixture
def canary():
    listener = Canary()
    yield listener
    listener.stop()


@pytest.fixture
def unreachable_api():
    """A Web API base URL on loopback where nothing listens (the port stays bound, unused)."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{held.getsockname()[1]}/api/"


class RecordingSocketClient:
    def __init__(self):
        self.sent = []
        self.logger = logging.getLogger("test.socket")

    def send_socket_mode_response(self, response):
        self.sent.append(response)


def errors_counted() -> float:
    return REGISTRY.get_sample_value("orderbot_slack_errors_total") or 0.0


def test_an_error_before_verification_is_not_answered_over_socket_mode(
    world, spy, canary, unreachable_api, caplog
):
    settings = BotSettings(
        bot_token="xoxb-1", signing_secret=SIGNING_SECRET, api_url=unreachable_api
    )
    app = build_app(services=world.services, settings=settings, core=spy.core)
    handler = socket_mode_handler(app, "xapp-1-A0ORDERBOT-1-sandbox")
    spy.reset()
    before = errors_counted()
    try:
        payload = slash_command("status all", user=ADMIN, response_url=canary.url)
        with caplog.at_level(logging.INFO):
            handler.handle(
                RecordingSocketClient(), SocketModeRequest("slash_commands", "e-1", payload)
            )
    finally:
        handler.client.close()
    assert canary.requests == []
    assert spy.commands() == []
    assert errors_counted() == before
    ours = [r for r in caplog.records if r.name.startswith(("orderbot", "bot"))]
    assert not [r for r in ours if r.levelno >= logging.ERROR or r.exc_info]
    assert "failed before orderbot read it (not answered): URLError" in caplog.text


class Recorder:
    """Stands in for Bolt's client and respond: every call the handler makes."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        return lambda **kwargs: self.calls.append((name, kwargs))

    def __call__(self, **kwargs):
        self.calls.append(("respond", kwargs))


BODY = {"command": "/orders", "user_id": "U0VICTIM", "channel_id": "C1", "response_url": "http://x"}


@pytest.mark.parametrize("context", [{}, None, {VERIFIED: False}])
def test_the_handler_stays_silent_without_the_mark(context):
    client, respond = Recorder(), Recorder()
    before = errors_counted()
    handle_error(RuntimeError("boom"), BODY, logging.getLogger("test"), client, respond, context)
    assert client.calls == [] and respond.calls == []
    assert errors_counted() == before


def test_the_handler_answers_a_marked_request():
    client, respond = Recorder(), Recorder()
    before = errors_counted()
    handle_error(
        RuntimeError("boom"), BODY, logging.getLogger("test"), client, respond, {VERIFIED: True}
    )
    assert [name for name, _ in respond.calls] == ["respond"]
    assert errors_counted() == before + 1
