"""stock push: the shop's TikTok SKUs (with their warehouses), how far the catalogue has read
TikTok's products, and every push of an Etsy quantity to TikTok

Revision ID: 0011_stock_push
Revises: 0010_returns
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0011_stock_push"
down_revision = "0010_returns"
branch_labels = None
depends_on = None


def _shop() -> sa.Column:
    return sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id"), nullable=False)


def _text(name: str, length: int, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=nullable)


def _time(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, storage.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "tiktok_skus",
        _shop(),
        _text("sku_id", 64),
        _text("product_id", 64),
        _text("product_status", 32),
        _text("seller_sku", 200),
        sa.Column("warehouses", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        _time("read_at", nullable=False),
        _text("problem", 400, nullable=True),
        sa.PrimaryKeyConstraint("shop_id", "sku_id"),
    )
    with op.batch_alter_table("tiktok_skus") as batch:
        batch.create_index("ix_tiktok_skus_seller_sku", ["shop_id", "seller_sku"], unique=False)
        batch.create_index("ix_tiktok_skus_product", ["shop_id", "product_id"], unique=False)
    op.create_table(
        "tiktok_catalog_marks",
        _shop(),
        sa.Column("watermark", sa.BigInteger(), nullable=True),
        _time("refreshed_at"),
        _time("full_at"),
        sa.PrimaryKeyConstraint("shop_id"),
    )
    op.create_table(
        "stock_pushes",
        sa.Column("id", sa.Integer(), nullable=False),
        _shop(),
        _text("sku_id", 64),
        _text("product_id", 64),
        _text("seller_sku", 200),
        _text("etsy_sku", 200),
        sa.Column("listing_id", sa.BigInteger(), nullable=False),
        sa.Column("etsy_quantity", sa.Integer(), nullable=False),
        sa.Column("buffer", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        _text("state", 16),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        _time("created_at", nullable=False),
        _time("finished_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("stock_pushes") as batch:
        batch.create_index("ix_stock_pushes_sku", ["shop_id", "sku_id", "id"], unique=False)
        batch.create_index("ix_stock_pushes_state", ["shop_id", "state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stock_pushes") as batch:
        batch.drop_index("ix_stock_pushes_state")
        batch.drop_index("ix_stock_pushes_sku")
    op.drop_table("stock_pushes")
    op.drop_table("tiktok_catalog_marks")
    with op.batch_alter_table("tiktok_skus") as batch:
        batch.drop_index("ix_tiktok_skus_product")
        batch.drop_index("ix_tiktok_skus_seller_sku")
    op.drop_table("tiktok_skus")
