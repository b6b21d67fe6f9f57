"""PostgreSQL for tests: set ORDERBOT_TEST_POSTGRES_URL (.ci/run does) to run them there too."""

import os

import pytest
from sqlalchemy import create_engine, text

POSTGRES_URL = os.environ.get("ORDERBOT_TEST_POSTGRES_URL")

# The one reason a test may skip: there is no PostgreSQL to run it on.
needs_postgres = pytest.mark.skipif(
    not POSTGRES_URL, reason="ORDERBOT_TEST_POSTGRES_URL is not set (.ci/run sets it)"
)


def reset_postgres_schema(url: str) -> None:
    """An empty schema: tests sharing the session's PostgreSQL database start from nothing."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
