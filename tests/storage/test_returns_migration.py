"""Migration 0010_returns: the request tables and `orders.return_state` come with it, existing
orders unmarked, and go away again going down."""

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text

from storage.db import alembic_config, make_engine

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
TABLES = {"after_sales_requests", "after_sales_cursor"}


def test_requests_come_and_go_with_the_migration(database_url):
    db = make_engine(database_url)
    config = alembic_config(db)
    try:
        command.upgrade(config, "0007_alert_groups")
        with db.begin() as connection:
            connection.execute(text("INSERT INTO shops (id, name) VALUES (1, 'shop')"))
            connection.execute(
                text(
                    "INSERT INTO orders (shop_id, tiktok_order_id, tiktok_status, section, "
                    "partial, placement, fulfilled_by, created_at, updated_at, currency, "
                    "return_requested, synced_at) VALUES (1, '1', 'DELIVERED', 'delivered', "
                    "false, 'placed', 'SELLER', :now, :now, 'USD', false, :now)"
                ),
                {"now": NOW},
            )

        command.upgrade(config, "0010_returns")

        assert set(inspect(db).get_table_names()) >= TABLES
        with db.connect() as connection:
            assert connection.execute(text("SELECT return_state FROM orders")).all() == [(None,)]

        command.downgrade(config, "0007_alert_groups")

        assert not TABLES & set(inspect(db).get_table_names())
        assert "return_state" not in {c["name"] for c in inspect(db).get_columns("orders")}
    finally:
        db.dispose()
