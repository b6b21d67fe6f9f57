"""placement indexes: the scans a settle makes (pending orders in chunks, an intent's
reservations, units owed back, cancel reasons to learn), so its cost per order stays flat

Revision ID: 0008_placement_indexes
Revises: 0007_alert_groups
"""

from alembic import op

revision = "0008_placement_indexes"
down_revision = "0007_alert_groups"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_orders_placement_created", "orders", ["shop_id", "placement", "created_at", "id"]),
    ("ix_orders_cancel_reason", "orders", ["shop_id", "tiktok_status", "cancel_reason_key"]),
    ("ix_reservations_reserve_intent", "reservations", ["reserve_intent_id"]),
    ("ix_reservations_restore_intent", "reservations", ["restore_intent_id"]),
    ("ix_reservations_state_listing", "reservations", ["state", "listing_id", "id"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
