"""Fixtures for the Slack-side tests.

`world`: this module's own TikTok Shop and Etsy sandboxes with 32 orders, fetched by the real
core into a database of the module's own; a test that changes an order makes its own
(`world.new_order`), so no test depends on another or on the order they run in. `served`: the
Bolt app from the production factory on that world, served over HTTP on port 0, its core
wrapped in a `CoreSpy`; `slack` signs requests to it. `http_runner`: the production HTTP runner
with the TikTok webhook on the test's own `core` and `pilot`, for the alert and webhook tests.
"""

from dataclasses import dataclass

import pytest

from bot.app import build_app
from bot.core import CoreCalls, load_core
from bot.http_server import start_server
from bot.schedule import Schedule
from bot.settings import BotSettings
from orderbot.runtime import autopilot
from sandbox.marketplaces import Marketplaces
from tests.utils.catalog import stock
from tests.utils.core_spy import CoreSpy
from tests.utils.ids import ADMIN, ALERT_CHANNEL, SHIPPER, SIGNING_SECRET
from tests.utils.settings import core_settings
from tests.utils.slack_requests import SlackRequests

GHOST = "TT-GHOST-1"  # on no Etsy listing: its order fails placement (sku_unmatched)


@dataclass
class World:
    shops: Marketplaces
    core: object  # orderbot.compose.Core

    @property
    def services(self):
        return self.core.services

    def new_order(self, section: str = "awaiting-shipment") -> str:
        """A new order of `section` ("awaiting-shipment" or "failed"), fetched: the test's own."""
        unique = self.shops.catalog.cases["unique"]
        sku = max(unique, key=lambda s: stock(self.shops, s)) if section != "failed" else GHOST
        order_id = self.shops.tiktok.add_order(skus=[sku])["id"]
        assert self.services.engine.fetch().error is None
        assert self.services.engine.order(order_id).section == section
        return order_id


def bot_settings(sandbox) -> BotSettings:
    return BotSettings(
        bot_token=sandbox.bot_token,
        signing_secret=SIGNING_SECRET,
        api_url=sandbox.url,
        admins=frozenset({ADMIN}),
        alert_channel=ALERT_CHANNEL,
        shippers=frozenset({SHIPPER}),
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from orderbot.compose import build_core

    fast = {"rate_per_s": 1000}  # the sandboxes' own rate limits; they have tests of their own
    with Marketplaces(seed=7, listings=12, tiktok_options=fast, etsy_options=fast) as shops:
        shops.tiktok.seed_orders(8)
        shops.tiktok.seed_orders(24, statuses={"AWAITING_SHIPMENT": 1.0})
        database = tmp_path_factory.mktemp("world") / "orderbot.db"
        core = build_core(
            core_settings(shops, f"sqlite:///{database}"),
            client_options={"sleep": lambda _s: None},
        )
        try:
            assert core.services.engine.fetch().error is None
            yield World(shops, core)
        finally:
            core.close()


@pytest.fixture(scope="module")
def spy(world) -> CoreSpy:
    return CoreSpy(load_core())


@pytest.fixture(scope="module")
def make_app(world, slack_sandbox):
    """The production factory, pointed at the Slack sandbox and the world's services."""

    def make(core: CoreCalls):
        return build_app(services=world.services, settings=bot_settings(slack_sandbox), core=core)

    return make


@pytest.fixture(scope="module")
def served(make_app, spy):
    server = start_server(make_app(spy.core), health=lambda: {"ok": True, "database": "ok"})
    yield server
    server.stop()


@pytest.fixture
def serve_with(make_app):
    """Serve another app from the production factory, with `core` in place of the spy's."""
    started = []

    def serve(core: CoreCalls) -> SlackRequests:
        server = start_server(make_app(core), health=lambda: {"ok": True})
        client = SlackRequests(server.url)
        started.append((server, client))
        return client

    yield serve
    for server, client in started:
        client.close()
        server.stop()


@pytest.fixture
def slack(served, slack_api, spy):
    """Signed requests to the served app; the Slack sandbox and the spy start each test empty.

    Afterwards every Web API call and response_url post the app made must have been accepted:
    blocks that slack_sdk's Block Kit models or Slack's limits reject fail the test."""
    spy.reset()
    with SlackRequests(served.url) as client:
        yield client
    refused = [call for call in slack_api.calls() if not call.ok]
    assert not refused, f"Slack refused: {refused}"


# --- the background half of `orderbot run`, on the test's own core ----------------------------


@pytest.fixture
def make_autopilot(core, shops, database_url, poster):
    """`orderbot run`'s autopilot (orderbot.runtime.autopilot) for the test's core, posting
    through `poster`; not started."""
    settings = core_settings(shops, database_url)

    def make(schedule: Schedule = Schedule(fetch_at_start=False)):
        return autopilot(core, settings, channel=poster, schedule=schedule)

    return make


@pytest.fixture
def pilot(make_autopilot):
    """The webhook handler, its worker (started) and the alert outbox, without the timer."""
    built = make_autopilot()
    built.worker.start()
    yield built
    built.stop()


@pytest.fixture
def http_runner(core, pilot, slack_api):
    """The production HTTP runner (Bolt app + /tiktok/webhook) on port 0."""
    app = build_app(services=core.services, settings=bot_settings(slack_api))
    server = start_server(app, health=lambda: {"ok": True}, webhook=pilot.webhook)
    yield server
    server.stop()
