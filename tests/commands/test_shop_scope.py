"""Review finding 9: every command that takes an order id or an alert key answers only about
this installation's shop, as the mutating ones always did. A second shop's rows share the
database here; nothing of them is shown or changed."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from commands import actions
from commands.context import Actor, Context
from commands.execute import execute
from commands.interactions import command_for
from commands.types import Cancel, MarkHandled, Restock, Retry, Show, ViewAllNew
from storage import queries
from storage.db import transaction
from storage.models import Alert, Order, Shop
from storage.states import AlertKind, AlertState

ADMIN = Actor("U0ADMIN", is_admin=True)
THEIRS = "576469999999999901"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def other_shop(core):
    """Another shop in the same database: a failed order of its own and a posted alert."""
    with transaction(core.services.sessions) as session:
        shop = Shop(name="Someone else's shop")
        session.add(shop)
        session.flush()
        order = Order(
            shop_id=shop.id,
            tiktok_order_id=THEIRS,
            tiktok_status="AWAITING_SHIPMENT",
            section="failed",
            placement="failed",
            failure_reason="sku_unmatched",
            fulfilled_by="SELLER",
            created_at=NOW,
            updated_at=NOW,
            synced_at=NOW,
            total_amount=Decimal("19.99"),
            currency="USD",
        )
        session.add(order)
        session.flush()
        for key, kind in ((f"placement_failed:{THEIRS}", AlertKind.PLACEMENT_FAILED),
                          (f"new_orders:{THEIRS}", AlertKind.NEW_ORDERS)):  # fmt: skip
            session.add(
                Alert(
                    shop_id=shop.id,
                    key=key,
                    kind=kind,
                    order_id=order.id,
                    state=AlertState.POSTED,
                    channel="C0ALERTS",
                    ts="1.0",
                    created_at=NOW,
                )
            )
    assert shop.id != core.services.shop_id
    return shop.id


def run(core, command):
    return execute(command, Context(core.services, ADMIN, confirmed=True))


@pytest.mark.parametrize(
    "command",
    [
        Show(THEIRS),
        command_for(actions.VIEW_ORDER, THEIRS),
        Cancel(THEIRS, "out of stock"),
        Retry(THEIRS),
        Restock(THEIRS),
    ],
    ids=["show", "view", "cancel", "retry", "restock"],
)
def test_an_order_of_another_shop_is_unknown_here(core, other_shop, command):
    reply = run(core, command)

    assert not reply.ok
    assert f"No order {THEIRS}" in reply.text
    with core.services.sessions() as session:
        theirs = queries.order_by_tiktok_id(session, shop_id=other_shop, tiktok_order_id=THEIRS)
        assert (theirs.placement, theirs.cancel_requested_at) == ("failed", None)
        assert queries.events_of(session, order_id=theirs.id) == []


@pytest.mark.parametrize(
    "command",
    [MarkHandled(f"placement_failed:{THEIRS}"), ViewAllNew(f"new_orders:{THEIRS}")],
    ids=["mark-handled", "view-all-new"],
)
def test_an_alert_of_another_shop_is_unknown_here(core, other_shop, command):
    reply = run(core, command)

    assert not reply.ok and "no longer known" in reply.text
    assert THEIRS not in " ".join(str(block) for block in reply.blocks)
    with core.services.sessions() as session:
        alert = queries.alert_by_key(session, key=command.alert_key)
        assert (alert.state, alert.handled_by) == (AlertState.POSTED, None)
