"""alerts: typed columns batch_key, fingerprint, attempts, last_error replace the detail JSON

The summary a `new_order` row belongs to was found by comparing JSON text; it is a column now,
indexed. Existing rows keep what their JSON said: {"batch": …} → batch_key, {"fp": …} →
fingerprint, {"attempts": …} → attempts, {"error": …} → last_error ({"count": …} was never read).

Revision ID: 0004
Revises: 0003
"""

import json

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ALERTS = sa.table(
    "alerts",
    sa.column("id", sa.Integer()),
    sa.column("detail", sa.Text()),
    sa.column("batch_key", sa.String()),
    sa.column("fingerprint", sa.String()),
    sa.column("attempts", sa.Integer()),
    sa.column("last_error", sa.Text()),
)


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(
            sa.Column("batch_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch.add_column(
            sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch.create_index(batch.f("ix_alerts_batch_key"), ["batch_key"], unique=False)
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_ALERTS.c.id, _ALERTS.c.detail).where(
            _ALERTS.c.detail.is_not(None), _ALERTS.c.detail.not_in(["", "{}"])
        )
    ).all()
    for alert_id, detail in rows:
        values = _columns_of(detail)
        if values:
            connection.execute(sa.update(_ALERTS).where(_ALERTS.c.id == alert_id).values(**values))
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("detail")


def _columns_of(detail: str) -> dict:
    try:
        loaded = json.loads(detail)
    except ValueError:
        return {}
    if not isinstance(loaded, dict):
        return {}
    values: dict = {}
    if isinstance(loaded.get("batch"), str):
        values["batch_key"] = loaded["batch"]
    if isinstance(loaded.get("fp"), str):
        values["fingerprint"] = loaded["fp"]
    if isinstance(loaded.get("attempts"), int):
        values["attempts"] = loaded["attempts"]
    if loaded.get("error") is not None:
        values["last_error"] = str(loaded["error"])
    return values


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("detail", sa.Text(), nullable=False, server_default="{}"))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            _ALERTS.c.id,
            _ALERTS.c.batch_key,
            _ALERTS.c.fingerprint,
            _ALERTS.c.attempts,
            _ALERTS.c.last_error,
        )
    ).all()
    for alert_id, batch_key, fingerprint, attempts, last_error in rows:
        named = {"batch": batch_key, "fp": fingerprint, "attempts": attempts or None}
        detail = {k: v for k, v in {**named, "error": last_error}.items() if v is not None}
        connection.execute(
            sa.update(_ALERTS)
            .where(_ALERTS.c.id == alert_id)
            .values(detail=json.dumps(detail, sort_keys=True))
        )
    with op.batch_alter_table("alerts") as batch:
        batch.drop_index(batch.f("ix_alerts_batch_key"))
        batch.drop_column("last_error")
        batch.drop_column("attempts")
        batch.drop_column("fingerprint")
        batch.drop_column("batch_key")
