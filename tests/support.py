"""Helpers shared by test modules (fixtures live in conftest.py)."""

from sqlalchemy import create_engine, text


def reset_postgres_schema(url: str) -> None:
    """An empty schema: tests sharing the session's PostgreSQL database start from nothing."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def core_settings(shops, database_url: str, **extra):
    from orderbot.settings import Settings

    values = {
        **shops.environment(),
        "DATABASE_URL": database_url,
        "ORDERBOT_SECRET_KEY": "test-secret-key-0123456789",
        "ORDERBOT_ETSY_RATE": "1000",
        "ORDERBOT_TIKTOK_RATE": "1000",
        **extra,
    }
    return Settings(_env_file=None, **values)


def stock(shops, sku: str) -> int:
    """The Etsy quantity of a SKU (products sharing a SKU share it)."""
    levels = {q for (_, product_sku, _), q in shops.etsy.quantities().items() if product_sku == sku}
    assert len(levels) == 1, f"{sku}: {levels}"
    return levels.pop()
