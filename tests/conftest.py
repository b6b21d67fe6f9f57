"""Fixtures every folder uses: a fresh database per test (SQLite always, PostgreSQL when
configured), the sandbox marketplaces and the real core on them, and the one Slack sandbox of
the session, emptied before each test."""

import uuid

import pytest
from slack_sdk import WebClient
from sqlalchemy import create_engine, text

from storage.db import make_engine, migrate, session_factory
from tests.utils.database import POSTGRES_URL, needs_postgres, reset_postgres_schema
from tests.utils.ids import ALERT_CHANNEL
from tests.utils.settings import core_settings

BACKENDS = ["sqlite", pytest.param("postgresql", marks=needs_postgres)]


@pytest.fixture(scope="session")
def postgres_server_url():
    """A database of its own for this test session, dropped at the end."""
    name = f"orderbot_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'orderbot.db'}"
    url = request.getfixturevalue("postgres_server_url")
    reset_postgres_schema(url)
    return url


@pytest.fixture
def db(database_url):
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(db):
    return session_factory(db)


# --- the core against the sandbox marketplaces ---------------------------------------------


@pytest.fixture
def shops():
    from sandbox.marketplaces import Marketplaces

    # Generous limits keep the suite fast; rate limiting has tests of its own.
    marketplaces = Marketplaces(
        tiktok_options={"rate_per_s": 1000}, etsy_options={"rate_per_s": 1000}
    )
    with marketplaces:
        yield marketplaces


@pytest.fixture
def core_with(shops, database_url):
    """`core_with(**settings)`: a core over the sandbox with these settings changed; each one
    built is closed after the test."""
    from orderbot.compose import build_core

    built = []

    def make(**settings):
        migrate(make_engine(database_url))  # PostgreSQL is migrated by `orderbot db upgrade`
        # Retries back off on a recorded clock, not the wall clock.
        one = build_core(
            core_settings(shops, database_url, **settings),
            client_options={"sleep": lambda _s: None},
        )
        built.append(one)
        return one

    yield make
    for one in built:
        one.close()


@pytest.fixture
def core(core_with):
    return core_with()


# --- Slack ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def slack_sandbox():
    """The Slack Web API sandbox, started once per session (module-scoped apps point at it)."""
    from sandbox.slack import SlackSandbox

    sandbox = SlackSandbox().start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def slack_api(slack_sandbox):
    """The session's Slack sandbox, emptied (messages, calls, refusals) for this test."""
    slack_sandbox.reset()
    return slack_sandbox


@pytest.fixture
def poster(slack_api):
    """The outbox's Slack channel, as `orderbot run` builds it, posting to the alert channel."""
    from bot.alerts import SlackPoster

    client = WebClient(base_url=slack_api.url, token=slack_api.bot_token)
    return SlackPoster(client, ALERT_CHANNEL, posts_per_second=None)  # pacing has tests of its own
