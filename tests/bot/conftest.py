"""Fixtures for the Slack-side tests: the Slack emulator, the real core on the marketplace
emulators, and the Bolt app from the production factory served over HTTP on port 0.

What is slow to make (emulators, the core, the served app) is made once per test process
and shared; each test starts with the Slack emulator and the spy emptied.
"""

import atexit
import functools
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from slack_requests import ADMIN, SIGNING_SECRET, SlackRequests

from bot.app import build_app
from bot.core import CoreCalls, load_core
from bot.http_server import RunningServer, start_server
from bot.settings import BotSettings
from commands.context import Actor, Context
from commands.replies import Table
from commands.types import Fetch
from orderbot.compose import build_core
from orderbot.demo import demo_settings
from sandbox.marketplaces import Marketplaces
from sandbox.slack import SlackSandbox

__all__ = ["make_app", "serve_with", "served", "slack", "slack_api", "spy", "world"]


@dataclass
class World:
    """TikTok Shop and Etsy emulators with 32 orders, fetched once by the real core."""

    shops: Marketplaces
    core: object  # orderbot.compose.Core
    taken: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def services(self):
        return self.core.services

    def take(self, slug: str) -> str:
        """An order of section `slug` that no other test has taken (tests change orders)."""
        real = load_core()
        ctx = Context(self.services, Actor(ADMIN, True))
        reply = real.execute(real.parse(f"status {slug}"), ctx)
        (table,) = [block for block in reply.blocks if isinstance(block, Table)]
        with self.lock:
            for order_id, *_ in table.rows:
                if order_id not in self.taken:
                    self.taken.add(order_id)
                    return order_id
        pytest.skip(f"the seeded orders have no free {slug} order left")


class Spy:
    """The real core, with a record of every command it was asked to execute."""

    def __init__(self, real: CoreCalls):
        self._real = real
        self._lock = threading.Lock()
        self.executed: list[tuple[object, Context]] = []
        self.core = CoreCalls(parse=real.parse, execute=self._execute, home=real.home)

    def _execute(self, command, ctx):
        with self._lock:
            self.executed.append((command, ctx))
        return self._real.execute(command, ctx)

    def commands(self) -> list:
        with self._lock:
            return [command for command, _ in self.executed]

    def reset(self) -> None:
        with self._lock:
            self.executed.clear()


def bot_settings(sandbox: SlackSandbox) -> BotSettings:
    return BotSettings(
        bot_token=sandbox.bot_token,
        signing_secret=SIGNING_SECRET,
        api_url=sandbox.url,
        admins=frozenset({ADMIN}),
        alert_channel="C0ALERTS",
    )


# -- made once per test process -------------------------------------------------------------


@functools.cache
def _slack_api() -> SlackSandbox:
    sandbox = SlackSandbox().start()
    atexit.register(sandbox.stop)
    return sandbox


@functools.cache
def _world() -> World:
    fast = {"rate_per_s": 1000}  # the emulators' own rate limits; they have tests of their own
    shops = Marketplaces(seed=7, listings=12, tiktok_options=fast, etsy_options=fast).start()
    shops.tiktok.seed_orders(8)
    shops.tiktok.seed_orders(24, statuses={"AWAITING_SHIPMENT": 1.0})  # cancellable ones
    env = {**shops.environment(), "ORDERBOT_ETSY_RATE": "1000", "ORDERBOT_TIKTOK_RATE": "1000"}
    folder = tempfile.TemporaryDirectory(prefix="orderbot-bot-tests-")
    database = Path(folder.name) / "orderbot.db"
    core = build_core(
        demo_settings(env, f"sqlite:///{database}"), client_options={"sleep": lambda _s: None}
    )
    atexit.register(folder.cleanup)
    atexit.register(shops.stop)
    atexit.register(core.close)
    first = load_core().execute(Fetch(), Context(core.services, Actor("U0SETUP", True)))
    assert first.ok, first.text
    return World(shops, core)


@functools.cache
def _spy() -> Spy:
    return Spy(load_core())


def _make_app(core: CoreCalls):
    return build_app(services=_world().services, settings=bot_settings(_slack_api()), core=core)


@functools.cache
def _served() -> RunningServer:
    server = start_server(_make_app(_spy().core), health=lambda: {"ok": True, "database": "ok"})
    atexit.register(server.stop)
    return server


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def slack_api() -> SlackSandbox:
    return _slack_api()


@pytest.fixture
def world() -> World:
    return _world()


@pytest.fixture
def spy() -> Spy:
    return _spy()


@pytest.fixture
def make_app():
    """The production factory, pointed at the Slack emulator and the real core's services."""
    return _make_app


@pytest.fixture
def served() -> RunningServer:
    return _served()


@pytest.fixture
def serve_with():
    """Serve another app from the production factory, with `core` in place of the spy's."""
    started = []

    def serve(core: CoreCalls) -> SlackRequests:
        server = start_server(_make_app(core), health=lambda: {"ok": True})
        client = SlackRequests(server.url)
        started.append((server, client))
        return client

    yield serve
    for server, client in started:
        client.close()
        server.stop()


@pytest.fixture
def slack(served, slack_api, spy):
    """Signed requests to the served app; the emulator and the spy start each test empty.

    Afterwards every Web API call and response_url post the app made must have been accepted:
    blocks that slack_sdk's Block Kit models or Slack's limits reject fail the test."""
    slack_api.reset()
    spy.reset()
    client = SlackRequests(served.url)
    yield client
    client.close()
    refused = [call for call in slack_api.calls() if not call.ok]
    assert not refused, f"Slack refused: {refused}"
