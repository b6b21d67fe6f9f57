"""The migrations build exactly the models; and migration 0004: what each alert row's `detail`
JSON said survives in the typed columns, and going back down rebuilds the JSON the old code
searched by."""

import json
from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from storage.db import alembic_config, make_engine

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SUMMARY = "new_orders:20261128T120000.000000Z"
DETAILS = {
    "placement_failed:1": json.dumps({"fp": "f" * 32}),
    "new_order:2": json.dumps({"attempts": 3, "error": "not_in_channel"}),
    "new_order:3": json.dumps({"batch": SUMMARY}, sort_keys=True),
    SUMMARY: json.dumps({"count": 1, "fp": "e" * 32}),
    "digest:2026-11-28": "{}",
    "new_order:4": "not json",
}


def test_the_detail_json_becomes_columns_and_back(database_url):
    db = make_engine(database_url)
    config = alembic_config(db)
    try:
        command.upgrade(config, "0003")
        with db.begin() as connection:
            connection.execute(
                text("INSERT INTO shops (id, name) VALUES (1, 'shop')"),
            )
            for key, detail in DETAILS.items():
                connection.execute(
                    text(
                        "INSERT INTO alerts (shop_id, key, kind, state, detail, created_at) "
                        "VALUES (1, :key, :kind, 'posted', :detail, :now)"
                    ),
                    {"key": key, "kind": key.split(":")[0], "detail": detail, "now": NOW},
                )

        command.upgrade(config, "0004")

        columns = {c["name"] for c in inspect(db).get_columns("alerts")}
        assert "detail" not in columns
        assert {"batch_key", "fingerprint", "attempts", "last_error"} <= columns
        with db.connect() as connection:
            rows = {
                row.key: (row.batch_key, row.fingerprint, row.attempts, row.last_error)
                for row in connection.execute(
                    text("SELECT key, batch_key, fingerprint, attempts, last_error FROM alerts")
                )
            }
        assert rows == {
            "placement_failed:1": (None, "f" * 32, 0, None),
            "new_order:2": (None, None, 3, "not_in_channel"),
            "new_order:3": (SUMMARY, None, 0, None),
            SUMMARY: (None, "e" * 32, 0, None),
            "digest:2026-11-28": (None, None, 0, None),
            "new_order:4": (None, None, 0, None),
        }

        command.downgrade(config, "0003")

        with db.connect() as connection:
            details = dict(connection.execute(text("SELECT key, detail FROM alerts")).all())
        assert details["new_order:3"] == DETAILS["new_order:3"]  # what the old search compared
        assert json.loads(details["new_order:2"]) == {"attempts": 3, "error": "not_in_channel"}
        assert json.loads(details["placement_failed:1"]) == {"fp": "f" * 32}
        assert json.loads(details["digest:2026-11-28"]) == {}
    finally:
        db.dispose()


def test_migrations_build_exactly_the_models(db):
    with db.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
