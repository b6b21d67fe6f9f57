from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from storage import queries
from storage.db import transaction
from storage.models import Order
from storage.secrets import SecretBox, SecretKeyMismatch

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _order(shop_id: int, tiktok_id: str, section: str = "") -> Order:
    return Order(
        shop_id=shop_id,
        tiktok_order_id=tiktok_id,
        tiktok_status="AWAITING_SHIPMENT",
        section=section,
        placement="pending",
        fulfilled_by="SELLER",
        created_at=NOW,
        updated_at=NOW,
        synced_at=NOW,
        total_amount=Decimal("19.99"),
        currency="USD",
    )


def test_migrations_build_exactly_the_models(db):
    with db.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_money_and_times_round_trip_exactly(sessions):
    with transaction(sessions) as session:
        shop = queries.ensure_shop(session, name="s", etsy_shop_id="1")
        order = _order(shop.id, "1001")
        order.total_amount = Decimal("1234567.10")
        session.add(order)
    with sessions() as session:
        stored = queries.order_by_tiktok_id(session, tiktok_order_id="1001")
    assert stored.total_amount == Decimal("1234567.10")
    assert isinstance(stored.total_amount, Decimal)
    assert stored.created_at == NOW and stored.created_at.tzinfo is not None


def test_section_counts_follow_every_move(sessions):
    with transaction(sessions) as session:
        shop_id = queries.ensure_shop(session, name="s", etsy_shop_id="1").id
        orders = [_order(shop_id, str(2000 + i)) for i in range(5)]
        for order in orders:
            queries.set_section(session, order=order, section="awaiting-shipment")
            session.add(order)
        session.flush()
        queries.set_section(session, order=orders[0], section="cancelled")
        queries.set_section(session, order=orders[1], section="failed")
        queries.set_section(session, order=orders[1], section="failed")  # no move, no change
    with sessions() as session:
        counts = queries.section_counts(session, shop_id=shop_id)
        assert counts == {"awaiting-shipment": 3, "cancelled": 1, "failed": 1}
        assert counts == queries.recount_sections(session, shop_id=shop_id)


def test_a_lease_is_exclusive_until_it_expires(sessions):
    with sessions() as session:
        later = NOW + timedelta(minutes=5)
        assert queries.acquire_lease(session, name="fetch:1", holder="a", now=NOW, expires_at=later)
        assert not queries.acquire_lease(
            session, name="fetch:1", holder="b", now=NOW, expires_at=later
        )
        assert queries.acquire_lease(session, name="fetch:1", holder="a", now=NOW, expires_at=later)
        after = later + timedelta(seconds=1)
        assert queries.acquire_lease(
            session, name="fetch:1", holder="b", now=after, expires_at=after + timedelta(minutes=5)
        )
        queries.release_lease(session, name="fetch:1", holder="b")
        assert queries.lease_holder(session, name="fetch:1", now=after) is None


def test_secret_box_round_trips_and_refuses_another_key():
    sealed = SecretBox("key-one").seal("token-value")
    assert "token-value" not in sealed
    assert SecretBox("key-one").open(sealed) == "token-value"
    with pytest.raises(SecretKeyMismatch, match="ORDERBOT_SECRET_KEY"):
        SecretBox("key-two").open(sealed)
