"""alerts: failure_reason, failure_detail and failed_skus, what a failure group is about

Failures that arrive together are told as one alert per (reason, SKU). The group row remembers
what it was about, since its orders' own failure fields are cleared as they get fixed.

Revision ID: 0007_alert_groups
Revises: 0005_sku_index
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007_alert_groups"
down_revision = "0005_sku_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(
            sa.Column("failure_reason", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch.add_column(sa.Column("failure_detail", sa.Text(), nullable=True))
        batch.add_column(sa.Column("failed_skus", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("failed_skus")
        batch.drop_column("failure_detail")
        batch.drop_column("failure_reason")
