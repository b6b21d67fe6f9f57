"""The Socket Mode runner dispatches to the same app and times each acknowledgement."""

import logging

import pytest
from prometheus_client import REGISTRY
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.socket_mode import socket_mode_handler
from commands.types import Help
from tests.utils.ids import ADMIN
from tests.utils.slack_requests import slash_command


class RecordingSocketClient:
    """Stands in for the WebSocket connection: keeps the acknowledgements sent back."""

    def __init__(self):
        self.sent = []
        self.logger = logging.getLogger("test.socket")

    def send_socket_mode_response(self, response):
        self.sent.append(response)


def acks() -> float:
    return REGISTRY.get_sample_value("orderbot_slack_ack_seconds_count", {"kind": "command"}) or 0


def test_a_slash_command_over_socket_mode_is_acked_timed_and_answered(make_app, slack_api, spy):
    spy.reset()
    app = make_app(spy.core)
    handler = socket_mode_handler(app, "xapp-1-A0ORDERBOT-1-sandbox")
    try:
        assert handler.client.web_client is app.client  # apps.connections.open: same base URL
        before = acks()
        socket = RecordingSocketClient()
        payload = slash_command("help", user=ADMIN, response_url=slack_api.response_url("sm"))
        handler.handle(socket, SocketModeRequest("slash_commands", "envelope-1", payload))
        (ack,) = socket.sent
        assert ack.envelope_id == "envelope-1"
        assert acks() == before + 1
        (answer,) = slack_api.wait_for(lambda: slack_api.responses("sm"))
        assert answer["blocks"][0]["type"] == "header"
        assert spy.commands() == [Help()]
    finally:
        handler.client.close()


def test_socket_mode_needs_an_app_level_token(make_app, spy):
    with pytest.raises(ValueError, match="xapp-"):
        socket_mode_handler(make_app(spy.core), "xoxb-not-an-app-token")
