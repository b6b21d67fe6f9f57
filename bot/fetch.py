"""Running a fetch for a Slack user: one message, edited in place as progress arrives."""

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import render
from bot.deps import Deps
from commands.context import FetchProgress
from commands.replies import Reply
from commands.types import Fetch

# A response_url may be used five times; progress takes at most this many, the summary one more.
_RESPONSE_URL_PROGRESS = 3


class FetchReport:
    """Shows a fetch's progress and summary as one message that is edited in place.

    The message is posted with chat.postMessage and edited with chat.update, at most once per
    `interval_s` (the summary always goes out). Where the bot may not post (a channel it is not
    in), it falls back to the slash command's response_url, which allows only a few edits.
    """

    def __init__(
        self,
        *,
        client: WebClient,
        channel: str | None,
        respond: Callable[..., Any] | None,
        interval_s: float,
        monotonic: Callable[[], float],
        logger: logging.Logger,
    ):
        self._client = client
        self._channel = channel
        self._respond = respond
        self._interval_s = interval_s
        self._monotonic = monotonic
        self._logger = logger
        self._ts: str | None = None
        self._via_response_url = channel is None
        self._responses = 0
        self._last_shown: float | None = None

    def progress(self, progress: FetchProgress) -> None:
        now = self._monotonic()
        if self._last_shown is not None and now - self._last_shown < self._interval_s:
            return
        if self._via_response_url and self._responses >= _RESPONSE_URL_PROGRESS:
            return
        self._last_shown = now
        text = render.progress_text(
            progress.pages, progress.orders, progress.placed, progress.failed
        )
        try:
            self._show(Reply(text=text))
        except Exception:  # progress is a courtesy: it never stops the fetch
            self._logger.warning("could not show fetch progress", exc_info=True)

    def finish(self, reply: Reply) -> None:
        if not reply.ok and self._ts is None and self._responses == 0 and self._respond:
            # Nothing shown yet and nothing done (e.g. a fetch is already running): tell only
            # the user who asked.
            self._respond(**render.message(reply), response_type="ephemeral")
            return
        self._show(reply)

    def _show(self, reply: Reply) -> None:
        payload = render.message(reply)
        if self._ts is not None:
            self._client.chat_update(channel=self._channel, ts=self._ts, **payload)
            return
        if not self._via_response_url:
            try:
                posted = self._client.chat_postMessage(channel=self._channel, **payload)
            except SlackApiError as error:
                self._logger.info(
                    "cannot post fetch progress in %s (%s); answering privately instead",
                    self._channel,
                    error.response.get("error"),
                )
                self._via_response_url = True
            else:
                self._ts = posted["ts"]
                self._channel = posted.get("channel") or self._channel
                return
        if self._respond is not None:
            replace = {"replace_original": True} if self._responses else {}
            self._respond(**payload, response_type="ephemeral", **replace)
            self._responses += 1


def run_fetch(
    deps: Deps,
    *,
    user: str,
    channel: str | None,
    client: WebClient,
    respond: Callable[..., Any] | None,
    logger: logging.Logger,
) -> Reply:
    report = FetchReport(
        client=client,
        channel=channel,
        respond=respond,
        interval_s=deps.progress_interval_s,
        monotonic=deps.monotonic,
        logger=logger,
    )
    reply = deps.core.execute(Fetch(), deps.context(user, progress=report.progress))
    report.finish(reply)
    return reply
