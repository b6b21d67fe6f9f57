"""Shared fixtures: a fresh database per test, SQLite always and PostgreSQL when configured."""

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from support import core_settings, reset_postgres_schema

from storage.db import make_engine, migrate, session_factory

POSTGRES_URL = os.environ.get("ORDERBOT_TEST_POSTGRES_URL")

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not POSTGRES_URL, reason="ORDERBOT_TEST_POSTGRES_URL is not set (.ci/run sets it)"
        ),
    ),
]


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
def core(shops, database_url):
    from orderbot.compose import build_core
    from storage.db import make_engine, migrate

    migrate(make_engine(database_url))  # PostgreSQL is migrated by `orderbot db upgrade`
    # Retries back off on a recorded clock, not the wall clock.
    built = build_core(
        core_settings(shops, database_url), client_options={"sleep": lambda _s: None}
    )
    yield built
    built.close()
