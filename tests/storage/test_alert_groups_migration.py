"""Migration 0007_alert_groups: the columns a failure group alert keeps what it is about in, added
to the alerts that exist (as none) and taken away again going down."""

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text

from storage.db import alembic_config, make_engine

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
GROUP = ("failure_reason", "failure_detail", "failed_skus")


def columns(db) -> set[str]:
    return {c["name"] for c in inspect(db).get_columns("alerts")}


def test_alerts_gain_the_group_columns_and_lose_them_going_down(database_url):
    db = make_engine(database_url)
    config = alembic_config(db)
    try:
        command.upgrade(config, "0004")
        with db.begin() as connection:
            connection.execute(text("INSERT INTO shops (id, name) VALUES (1, 'shop')"))
            connection.execute(
                text(
                    "INSERT INTO alerts (shop_id, key, kind, state, created_at) "
                    "VALUES (1, 'placement_failed:1', 'placement_failed', 'posted', :now)"
                ),
                {"now": NOW},
            )

        command.upgrade(config, "0007_alert_groups")

        assert set(GROUP) <= columns(db)
        with db.connect() as connection:
            kept = connection.execute(
                text("SELECT key, failure_reason, failure_detail, failed_skus FROM alerts")
            ).all()
        assert [tuple(row) for row in kept] == [("placement_failed:1", None, None, None)]

        command.downgrade(config, "0004")

        assert not set(GROUP) & columns(db)
        with db.connect() as connection:
            assert connection.execute(text("SELECT key FROM alerts")).scalars().all() == [
                "placement_failed:1"
            ]
    finally:
        db.dispose()
