"""after_sales_requests, after_sales_cursor, orders.return_state: returns, refunds and buyer
cancellation requests (SPEC §4.2), followed by Search Returns from a cursor of their own.

Revision ID: 0010_returns
Revises: 0009_shipping
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0010_returns"
down_revision = "0009_shipping"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "after_sales_cursor",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("cursor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
        ),
        sa.PrimaryKeyConstraint("shop_id"),
    )
    op.create_table(
        "after_sales_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("tiktok_order_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("seller_action", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("deadline", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("reason_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=True),
        sa.Column("amount", storage.types.Money(length=40), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("line_items", sa.Text(), nullable=False),
        sa.Column("history", sa.Text(), nullable=False),
        sa.Column("opened_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("synced_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answer_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("answering_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("answering_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=True),
        sa.Column("answered_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("answered_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("restock_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("restock_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shop_id", "request_id"),
    )
    with op.batch_alter_table("after_sales_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_after_sales_open", ["shop_id", "is_open", "deadline"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_after_sales_requests_order_id"), ["order_id"], unique=False
        )

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("return_state", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("return_state")

    with op.batch_alter_table("after_sales_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_after_sales_requests_order_id"))
        batch_op.drop_index("ix_after_sales_open")

    op.drop_table("after_sales_requests")
    op.drop_table("after_sales_cursor")
