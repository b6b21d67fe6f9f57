"""Which alert an order is owed, and when new orders are summarised: pure, `now` passed in."""

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from storage.models import Order
from storage.states import AlertKind
from sync import alerts
from sync.alerts import Due, event_due, plan_new_orders
from sync.clock import utc_now

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def order(
    status="AWAITING_SHIPMENT",
    placement="placed",
    *,
    failure=None,
    initiator=None,
    reason_key=None,
    age=HOUR,
    cancelled_ago=HOUR,
    requested_by=None,
) -> Order:
    return Order(
        shop_id=1,
        tiktok_order_id="576460000000000001",
        tiktok_status=status,
        section="",
        placement=placement,
        failure_reason=failure,
        fulfilled_by="SELLER",
        created_at=NOW - age,
        updated_at=NOW - min(age, cancelled_ago),
        cancelled_at=NOW - cancelled_ago if status == "CANCELLED" else None,
        cancel_initiator=initiator,
        cancel_reason_key=reason_key,
        cancel_requested_by=requested_by,
        synced_at=NOW,
    )


CASES = [
    # (order, reserved, already alerted, due)
    (order(), True, set(), AlertKind.NEW_ORDER),
    (order(), True, {AlertKind.NEW_ORDER}, None),
    (order(placement="skipped"), False, set(), AlertKind.NEW_ORDER),  # fulfilled by TikTok
    (order(placement="pending"), False, set(), None),  # not settled yet: wait
    (order(placement="placing"), False, set(), None),
    (order("ON_HOLD", "waiting"), False, set(), None),
    (order("UNPAID", "skipped"), False, set(), None),  # TikTok-fulfilled but unpaid
    (order(age=timedelta(hours=49)), True, set(), None),  # too old to be news
    (order("IN_TRANSIT"), True, set(), AlertKind.NEW_ORDER),  # first seen in transit
    (order(placement="failed", failure="sku_unmatched"), False, set(), AlertKind.PLACEMENT_FAILED),
    (
        order(placement="failed", failure="insufficient_stock"),
        False,
        {AlertKind.NEW_ORDER},
        AlertKind.PLACEMENT_FAILED,
    ),
    (
        order(placement="failed", failure="sku_ambiguous"),
        False,
        {AlertKind.PLACEMENT_FAILED},
        None,
    ),
    # A failed placement then placed after a retry: its failure alert is updated, no new one.
    (order(), True, {AlertKind.PLACEMENT_FAILED}, None),
    (
        order("CANCELLED", failure="returned_to_sender", initiator="SYSTEM", reason_key="x"),
        True,
        {AlertKind.NEW_ORDER},
        AlertKind.DELIVERY_FAILED,
    ),
    (
        order("CANCELLED", failure="package_lost", initiator="SYSTEM", reason_key="package_lost"),
        True,
        {AlertKind.NEW_ORDER, AlertKind.DELIVERY_FAILED},
        None,
    ),
    (
        order("CANCELLED", "restored", initiator="BUYER"),
        True,
        {AlertKind.NEW_ORDER},
        AlertKind.ORDER_CANCELLED,
    ),
    (order("CANCELLED", "restored", initiator="BUYER"), False, set(), None),  # never placed
    # A system cancellation waits for its reason key (it may be a failed delivery).
    (order("CANCELLED", "placed", initiator="SYSTEM"), True, set(), None),
    (
        order("CANCELLED", "restored", initiator="SYSTEM", reason_key=""),
        True,
        set(),
        AlertKind.ORDER_CANCELLED,
    ),
    # The seller's own cancellations (orderbot or Seller Center) are not news to the seller.
    (order("CANCELLED", "restored", initiator="SELLER", requested_by="U1"), True, set(), None),
    (
        order("CANCELLED", "restored", initiator="BUYER", cancelled_ago=timedelta(days=8)),
        True,
        set(),
        None,
    ),
    (
        order("CANCELLED", "restored", initiator="BUYER"),
        True,
        {AlertKind.ORDER_CANCELLED},
        None,
    ),
]


@pytest.mark.parametrize(("row", "reserved", "alerted", "due"), CASES)
def test_what_an_order_is_owed(row, reserved, alerted, due):
    assert event_due(row, reserved=reserved, alerted=frozenset(alerted), now=NOW) == due


def test_the_new_order_window_is_inclusive_of_48_hours():
    edge = order(age=timedelta(hours=48))
    assert event_due(edge, reserved=True, alerted=set(), now=NOW) == AlertKind.NEW_ORDER
    older = order(age=timedelta(hours=48, seconds=1))
    assert event_due(older, reserved=True, alerted=set(), now=NOW) is None


def due(n: int, kind=AlertKind.NEW_ORDER) -> list[Due]:
    return [Due(kind, f"{kind}:{i}", i, str(i)) for i in range(n)]


@pytest.mark.parametrize(
    ("arriving", "recent", "singles", "batched"),
    [
        (0, 0, 0, 0),
        (1, 0, 1, 0),
        (5, 0, 5, 0),
        (6, 0, 0, 6),
        (3, 2, 3, 0),
        (3, 3, 0, 3),
        (1, 5, 1, 0),  # one order alone is never a summary
    ],
)
def test_few_new_orders_go_one_by_one_many_in_one_summary(arriving, recent, singles, batched):
    one_by_one, summary = plan_new_orders(due(arriving), recent=recent)
    assert (len(one_by_one), len(summary)) == (singles, batched)


def test_failures_are_never_summarised():
    one_by_one, summary = plan_new_orders(due(8, AlertKind.PLACEMENT_FAILED), recent=0)
    assert one_by_one == () and summary == ()  # they are not new orders: planned elsewhere


def test_keys_name_the_order_and_summaries_their_minute():
    assert alerts.key_for(AlertKind.DELIVERY_FAILED, "5764") == "delivery_failed:5764"
    assert alerts.subject_of("delivery_failed:5764") == "5764"
    with freeze_time("2026-05-04 12:00:07.25"):  # pure code only: no threads run here
        assert alerts.batch_key(utc_now()) == "new_orders:20260504T120007.250000Z"
