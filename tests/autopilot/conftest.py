"""Fixtures for the scheduler, webhook and alert tests: a Slack emulator made once per process
(emptied before each test), a poster and dispatchers on it, and the production Bolt app served
with the TikTok webhook route, backed by the real core on the marketplace emulators."""

import atexit
import functools

import pytest
from autopilot_kit import ADMIN, CHANNEL, SIGNING_SECRET, make_autopilot
from slack_sdk import WebClient

from bot.alerts import SlackPoster
from bot.app import build_app
from bot.http_server import start_server
from bot.settings import BotSettings
from sandbox.slack import SlackSandbox


@functools.cache
def _slack() -> SlackSandbox:
    sandbox = SlackSandbox().start()
    atexit.register(sandbox.stop)
    return sandbox


@pytest.fixture
def slack_api() -> SlackSandbox:
    sandbox = _slack()
    sandbox.reset()
    return sandbox


@pytest.fixture
def poster(slack_api) -> SlackPoster:
    client = WebClient(base_url=slack_api.url, token=slack_api.bot_token)
    return SlackPoster(client, CHANNEL, posts_per_second=None)  # pacing has tests of its own


@pytest.fixture
def pilot(core, poster, shops):
    """The background half of `orderbot run` without its timer: the webhook handler, its
    worker (started) and the alert dispatcher, on the test's core."""
    built = make_autopilot(core, poster, shops)
    built.worker.start()
    yield built
    built.stop()


@pytest.fixture
def served(core, pilot, slack_api):
    """The production HTTP runner (Bolt app + /tiktok/webhook) on a free port."""
    settings = BotSettings(
        bot_token=slack_api.bot_token,
        signing_secret=SIGNING_SECRET,
        api_url=slack_api.url,
        admins=frozenset({ADMIN}),
        alert_channel=CHANNEL,
    )
    app = build_app(services=core.services, settings=settings)
    server = start_server(app, health=lambda: {"ok": True}, webhook=pilot.webhook)
    yield server
    server.stop()
