"""Channel alerts in Slack: the poster the outbox (`sync.alerts.outbox`) sends them through.

What an alert says is `commands.alerts`; `render` turns it into Block Kit, and the composition
root hands the outbox `render(content_of(view))`, so the outbox never sees Slack.

Each message carries its alert's key in Slack message metadata (`event_type` orderbot_alert,
`event_payload` {"key": …}), so after a crash between posting and recording, `find` can tell
from the channel's history (conversations.history, which needs channels:history, or
groups:history for a private channel) that the alert is out. Posts are paced to about one a
second (chat.postMessage's limit per channel); a 429 is retried by the client after its
Retry-After (`bot.web_api.alerts_client`).
"""

import time
from collections.abc import Callable, Collection
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import render
from commands.replies import Reply
from sync.alerts import HistoryBusy, HistoryUnavailable, PostRefused
from sync.http import RateLimiter

EVENT_TYPE = "orderbot_alert"
POSTS_PER_SECOND = 1.0
HISTORY_PAGE = 200
HISTORY_PAGES = 5  # messages looked through for a key: at most these many pages


def metadata_of(key: str) -> dict:
    return {"event_type": EVENT_TYPE, "event_payload": {"key": key}}


def key_of(message: dict) -> str | None:
    """The alert key a channel message carries, if it is one of ours."""
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != EVENT_TYPE:
        return None
    key = (metadata.get("event_payload") or {}).get("key")
    return key if isinstance(key, str) else None


def _error(exc: SlackApiError) -> str:
    needed = exc.response.get("needed")
    return f"{exc.response.get('error')}" + (f" (needs {needed})" if needed else "")


class SlackPoster:
    """Posts to one Slack channel through the Web API. Slack's refusals (not_in_channel,
    ratelimited, …) become PostRefused: the outbox tries those again later. Posts wait for
    their turn at `posts_per_second` (None: no pacing)."""

    def __init__(
        self,
        client: WebClient,
        channel: str,
        *,
        posts_per_second: float | None = POSTS_PER_SECOND,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.client = client
        self.channel = channel
        self._pace = (
            RateLimiter(posts_per_second, monotonic=monotonic, sleep=sleep)
            if posts_per_second
            else None
        )

    def render(self, reply: Reply) -> dict:
        """`text` and `blocks` for chat.postMessage and chat.update."""
        return render.message(reply)

    def post(self, payload: dict, *, key: str) -> tuple[str, str]:
        if self._pace is not None:
            self._pace.acquire()
        try:
            response = self.client.chat_postMessage(
                channel=self.channel, metadata=metadata_of(key), **payload
            )
        except SlackApiError as exc:
            raise PostRefused(_error(exc)) from exc
        return response["channel"], response["ts"]

    def update(self, channel: str, ts: str, payload: dict, *, key: str) -> None:
        try:
            self.client.chat_update(channel=channel, ts=ts, metadata=metadata_of(key), **payload)
        except SlackApiError as exc:
            raise PostRefused(_error(exc)) from exc

    def find(self, keys: Collection[str], *, since: datetime) -> dict[str, tuple[str, str]]:
        """Where each of `keys` was posted since `since`: one newest-first read of the
        channel's history, a few pages at most."""
        wanted, found = set(keys), {}
        cursor = None
        for _ in range(HISTORY_PAGES):
            try:
                page = self.client.conversations_history(
                    channel=self.channel,
                    oldest=f"{since.timestamp():.6f}",
                    include_all_metadata=True,
                    limit=HISTORY_PAGE,
                    cursor=cursor,
                )
            except SlackApiError as exc:
                if exc.response.get("error") == "ratelimited":
                    raise HistoryBusy(_error(exc)) from exc
                raise HistoryUnavailable(_error(exc)) from exc
            for message in page.get("messages") or []:
                key = key_of(message)
                if key in wanted and key not in found:
                    found[key] = (self.channel, message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if found.keys() == wanted or not page.get("has_more") or not cursor:
                return found
        raise HistoryUnavailable(
            f"more than {HISTORY_PAGE * HISTORY_PAGES} messages since {since:%H:%M:%S}"
        )
