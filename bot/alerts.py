"""Channel alerts in Slack: the poster the outbox (`sync.alerts.outbox`) sends them through.

What an alert says is `commands.alerts`; `render` turns it into Block Kit, and the composition
root hands the outbox `render(content_of(view))`, so the outbox never sees Slack.
"""

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import render
from commands.replies import Reply
from sync.alerts import PostRefused


class SlackPoster:
    """Posts to one Slack channel through the Web API. Slack's refusals (not_in_channel,
    ratelimited, …) become PostRefused: the outbox tries those again later."""

    def __init__(self, client: WebClient, channel: str):
        self.client = client
        self.channel = channel

    def render(self, reply: Reply) -> dict:
        """`text` and `blocks` for chat.postMessage and chat.update."""
        return render.message(reply)

    def post(self, payload: dict) -> tuple[str, str]:
        try:
            response = self.client.chat_postMessage(channel=self.channel, **payload)
        except SlackApiError as exc:
            raise PostRefused(str(exc.response.get("error"))) from exc
        return response["channel"], response["ts"]

    def update(self, channel: str, ts: str, payload: dict) -> None:
        try:
            self.client.chat_update(channel=channel, ts=ts, **payload)
        except SlackApiError as exc:
            raise PostRefused(str(exc.response.get("error"))) from exc
