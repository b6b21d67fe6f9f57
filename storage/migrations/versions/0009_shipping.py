"""shipping: how each order ships and by when (order_shipping), and the ships and tracking
corrections asked of TikTok, claimed before the call (shipments)

Revision ID: 0009_shipping
Revises: 0008_placement_indexes
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0009_shipping"
down_revision = "0008_placement_indexes"
branch_labels = None
depends_on = None


def _time(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, storage.types.UTCDateTime(timezone=True), nullable=nullable)


def _string(name: str, length: int, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "order_shipping",
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id"), nullable=False),
        _string("shipping_type", 16, nullable=False),
        _string("delivery_option_id", 64),
        _time("ship_by"),
        _time("auto_cancel_at"),
        _time("shipped_at"),
        _string("tracking_number", 64),
        _string("provider_id", 64),
        _string("provider_name", 200),
        sa.PrimaryKeyConstraint("order_id"),
    )
    with op.batch_alter_table("order_shipping") as batch:
        batch.create_index("ix_order_shipping_ship_by", ["shop_id", "ship_by"], unique=False)
    op.create_table(
        "shipments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id"), nullable=False),
        _string("key", 200, nullable=False),
        _string("kind", 16, nullable=False),
        _string("state", 16, nullable=False),
        _string("provider_id", 64, nullable=False),
        _string("provider_name", 200, nullable=False),
        _string("tracking_number", 64, nullable=False),
        sa.Column("line_ids", sa.Text(), nullable=True),
        _string("requested_by", 64, nullable=False),
        _time("requested_at", nullable=False),
        _time("finished_at"),
        _string("package_id", 64),
        sa.Column("warning", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("shipments") as batch:
        batch.create_index("ix_shipments_order", ["order_id", "state"], unique=False)


def downgrade() -> None:
    op.drop_table("shipments")
    op.drop_table("order_shipping")
