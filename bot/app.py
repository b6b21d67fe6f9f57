"""The Bolt app factory: one App wired to the core, its Web API client and every listener."""

import logging

from slack_bolt import App
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.middleware import RequestVerification
from slack_sdk import WebClient

from bot import listeners, metrics
from bot.core import CoreCalls, load_core
from bot.deps import CONTEXT_KEY, Deps
from bot.errors import VERIFIED, handle_error
from bot.listeners.run import COMMAND, read_command
from bot.render import base_action_id
from bot.settings import BotSettings
from bot.web_api import listener_client
from commands import actions as action_ids
from commands.context import Services

_KNOWN_IDS = frozenset(
    value for name, value in vars(action_ids).items() if name.isupper() and isinstance(value, str)
)


def build_app(
    *,
    services: Services,
    settings: BotSettings,
    client: WebClient | None = None,
    core: CoreCalls | None = None,
    progress_interval_s: float = 1.0,
    logger: logging.Logger | None = None,
) -> App:
    """A Bolt App for orderbot.

    `client` defaults to a WebClient on `settings.api_url` (the sandbox's URL in tests and demo)
    that retries Slack's 429s after a short Retry-After (`bot.web_api`); `core` defaults to the
    real `commands` functions.
    """
    if client is None:
        client = listener_client(settings.api_url, settings.bot_token)
    elif client.token is None:
        raise ValueError("the WebClient passed to build_app must carry the bot token")
    logger = logger or logging.getLogger("orderbot.slack")
    _drop_token_warning(logger)
    app = App(
        name="orderbot",
        client=client,  # carries the token; Bolt takes it from there
        signing_secret=settings.signing_secret,
        # Acks run on the request's own thread, never queued on Bolt's listener executor behind
        # lazy work (bench/RESULTS.md: ack p99 275 → 51 ms); every listener acks first and
        # leaves what is slow to its lazy half, which Bolt starts on that executor after the ack.
        process_before_response=True,
        token_verification_enabled=False,
        logger=logger,
    )
    # Bolt logs a request that fails verification at INFO with its whole body (anyone's text,
    # and a late genuine request's response_url); its warnings and errors are kept. Set after
    # App(), which gives its loggers the base logger's level.
    logging.getLogger(f"slack_bolt.{RequestVerification.__name__}").setLevel(logging.WARNING)
    deps = Deps(
        services=services,
        settings=settings,
        core=core or load_core(),
        progress_interval_s=progress_interval_s,
    )

    def orderbot_context(context, body, next) -> None:
        context[VERIFIED] = True  # Bolt runs this middleware only after verification
        context[CONTEXT_KEY] = deps
        context[COMMAND] = read_command(deps, body)  # once, for the ack and the lazy half
        _count_interaction(body)
        next()

    app.middleware(orderbot_context)
    app.error(handle_error)
    listeners.register(app)
    return app


class _DropMessage(logging.Filter):
    def __init__(self, message: str):
        super().__init__()
        self.message = message

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self.message


def _drop_token_warning(logger: logging.Logger) -> None:
    """Bolt reads SLACK_BOT_TOKEN itself and warns that the client's token wins over it; it is
    the same token (`orderbot run` takes both from the settings)."""
    unused = warning_client_prioritized_and_token_skipped()
    if not any(isinstance(f, _DropMessage) and f.message == unused for f in logger.filters):
        logger.addFilter(_DropMessage(unused))


def _count_interaction(body: dict) -> None:
    if body.get("type") == "block_actions":
        for action in body.get("actions") or []:
            base = base_action_id(str(action.get("action_id", "")))
            metrics.ACTIONS.labels(base if base in _KNOWN_IDS else "other").inc()
    elif body.get("type") == "view_submission":
        callback = (body.get("view") or {}).get("callback_id")
        metrics.ACTIONS.labels(callback if callback in _KNOWN_IDS else "other").inc()
