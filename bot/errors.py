"""One answer for everything unexpected: log it whole, tell the user one plain sentence.

`handle_error` is the app-wide Bolt error handler (listeners and middleware). Bolt only logs what a
lazy listener raises, so lazy listeners are wrapped in `guarded`, which answers the same way.

Bolt calls the handler for errors raised in its own middleware too, signature verification
included, with the body as sent. Only a request marked `VERIFIED` (by `build_app`'s middleware,
which Bolt runs after verification, and in Socket Mode after the socket's own authentication) is
answered: the response_url, channel, user and view of any other body are anyone's choice.
"""

import inspect
import logging
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk import WebClient

from bot import metrics, render
from bot.payloads import channel_id, user_id
from commands.replies import Reply

ERROR_TEXT = (
    "Sorry, something went wrong on orderbot's side while handling that. It has been logged; "
    "please try again in a moment, or ask an admin to look at orderbot's logs."
)

VERIFIED = "orderbot_verified"  # in the Bolt context: the request passed Slack's verification

log = logging.getLogger(__name__)


def answer_error(
    *,
    body: Mapping[str, Any],
    client: WebClient | None,
    respond: Callable[..., Any] | None,
    logger: logging.Logger | None = None,
) -> None:
    """Tell the user, privately, that their request failed. Never raises."""
    logger = logger or log
    reply = Reply(text=ERROR_TEXT, ok=False)
    try:
        view = body.get("view") or {}
        user = user_id(body)
        channel = channel_id(body)
        if body.get("type") == "view_submission" and view.get("id") and client is not None:
            client.views_update(
                view_id=view["id"], view=render.notice_modal("Something went wrong", ERROR_TEXT)
            )
        elif respond is not None and body.get("response_url"):
            respond(**render.message(reply), response_type="ephemeral", replace_original=False)
        elif client is not None and channel and user:
            client.chat_postEphemeral(channel=channel, user=user, **render.message(reply))
        elif client is not None and user and body.get("type") == "block_actions":
            client.chat_postMessage(channel=user, **render.message(reply))  # the app's DM
    except Exception:
        logger.exception("could not tell the user about an error")


def handle_error(
    error: Exception, body: dict, logger: logging.Logger, client, respond, context
) -> None:
    """Bolt's app-wide error handler."""
    if not (context or {}).get(VERIFIED):
        # Raised in Bolt's own checks, before orderbot read the request: whatever the body
        # names is unverified. One line, no body, no answer, no metric.
        logger.warning(
            "a Slack request failed before orderbot read it (not answered): %s",
            type(error).__name__,
        )
        return
    logger.error("unhandled error in a Slack listener", exc_info=error)
    metrics.ERRORS.inc()
    answer_error(body=body, client=client, respond=respond, logger=logger)


_LAZY_ARGS = ("body", "client", "respond", "context", "logger")


def guarded(func: Callable[..., None]) -> Callable[..., None]:
    """Wrap a lazy listener so that what it raises reaches the user as `handle_error` would.

    The wrapped function may take any of body, client, respond, context and logger."""
    wanted = set(inspect.signature(func).parameters)
    unknown = wanted - set(_LAZY_ARGS)
    if unknown:
        raise TypeError(f"{func.__name__}: lazy listeners take only {_LAZY_ARGS}, not {unknown}")

    def run(body, client, respond, context, logger) -> None:
        given = {
            "body": body,
            "client": client,
            "respond": respond,
            "context": context,
            "logger": logger,
        }
        try:
            func(**{name: value for name, value in given.items() if name in wanted})
        except Exception as error:
            handle_error(error, body, logger, client, respond, context)

    run.__name__ = func.__name__
    run.__qualname__ = func.__qualname__
    return run
