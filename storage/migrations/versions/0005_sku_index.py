"""sku index: the shop's Etsy listings and SKUs kept between fetches, with per-state
watermarks, and Etsy's daily quota as last seen

Revision ID: 0005_sku_index
Revises: 0004
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0005_sku_index"
down_revision = "0004"
branch_labels = None
depends_on = None


def _shop() -> sa.Column:
    return sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "etsy_listings",
        _shop(),
        sa.Column("listing_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("modified", sa.BigInteger(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("read_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("shop_id", "listing_id"),
    )
    op.create_table(
        "etsy_skus",
        _shop(),
        sa.Column("listing_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("sku", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("problem", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=True),
        sa.Column("changed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("shop_id", "listing_id", "sku"),
    )
    with op.batch_alter_table("etsy_skus") as batch:
        batch.create_index("ix_etsy_skus_sku", ["shop_id", "sku"], unique=False)
    op.create_table(
        "etsy_index_marks",
        _shop(),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("watermark", sa.BigInteger(), nullable=True),
        sa.Column("refreshed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("full_walk_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("shop_id", "state"),
    )
    op.create_table(
        "etsy_quota",
        _shop(),
        sa.Column("remaining_today", sa.Integer(), nullable=False),
        sa.Column("limit_per_day", sa.Integer(), nullable=True),
        sa.Column("seen_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("shop_id"),
    )


def downgrade() -> None:
    op.drop_table("etsy_quota")
    op.drop_table("etsy_index_marks")
    with op.batch_alter_table("etsy_skus") as batch:
        batch.drop_index("ix_etsy_skus_sku")
    op.drop_table("etsy_skus")
    op.drop_table("etsy_listings")
