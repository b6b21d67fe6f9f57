"""The Socket Mode runner, used when an app-level token (xapp-…) is set: no public URL needed."""

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot import metrics


class TimedSocketModeHandler(SocketModeHandler):
    """Bolt's Socket Mode handler, timing each request until its acknowledgement is sent."""

    def handle(self, client, req) -> None:
        with metrics.timing_ack(req.payload or {}):
            super().handle(client, req)


def socket_mode_handler(app: App, app_token: str) -> TimedSocketModeHandler:
    """The handler; `.connect()` starts in the background, `.start()` blocks, `.close()` stops.

    Its Web API client is the app's, so `apps.connections.open` goes to the same base URL."""
    if not app_token.startswith("xapp-"):
        raise ValueError("Socket Mode needs an app-level token (it starts with xapp-)")
    return TimedSocketModeHandler(app, app_token=app_token)


def run_socket_mode(app: App, app_token: str) -> None:
    """Connect and serve until interrupted."""
    socket_mode_handler(app, app_token).start()
