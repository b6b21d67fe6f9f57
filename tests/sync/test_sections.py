from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from sync import sections
from sync.clock import utc_now
from sync.sections import Section, classify, is_auto_completed, parse_slug

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "failure", "expected"),
    [
        ("UNPAID", None, Section.ON_HOLD),
        ("ON_HOLD", None, Section.ON_HOLD),
        ("AWAITING_SHIPMENT", None, Section.AWAITING_SHIPMENT),
        ("AWAITING_SHIPMENT", "sku_unmatched", Section.FAILED),
        ("AWAITING_SHIPMENT", "insufficient_stock", Section.FAILED),
        ("AWAITING_COLLECTION", None, Section.AWAITING_COLLECTION),
        ("IN_TRANSIT", None, Section.IN_TRANSIT),
        ("PARTIALLY_SHIPPING", None, Section.IN_TRANSIT),
        ("DELIVERED", None, Section.DELIVERED),
        ("COMPLETED", None, Section.COMPLETED),
        ("CANCELLED", None, Section.CANCELLED),
        ("CANCELLED", "sku_unmatched", Section.CANCELLED),  # nothing was reserved, nothing owed
        ("CANCELLED", "returned_to_sender", Section.FAILED),
        ("CANCELLED", "package_lost", Section.FAILED),
    ],
)
def test_every_status_lands_in_one_section(status, failure, expected):
    assert classify(status, failure_reason=failure, delivered_at=None, now=NOW) == expected


@pytest.mark.parametrize(
    ("age", "return_requested", "completed"),
    [
        (timedelta(days=13, hours=23), False, False),
        (timedelta(days=13, hours=23, minutes=59, seconds=59), False, False),
        (timedelta(days=14), False, True),
        (timedelta(days=20), False, True),
        (timedelta(days=20), True, False),  # a pending return keeps it Delivered
    ],
)
def test_the_fourteen_day_boundary(age, return_requested, completed):
    with freeze_time(NOW):
        now = utc_now()
        delivered_at = now - age
        assert is_auto_completed(delivered_at, now, return_requested=return_requested) is completed
        section = classify(
            "DELIVERED",
            failure_reason=None,
            delivered_at=delivered_at,
            now=now,
            return_requested=return_requested,
        )
        assert section == (Section.COMPLETED if completed else Section.DELIVERED)


def test_freezegun_moves_the_clock_across_the_line():
    delivered = NOW - timedelta(days=13, hours=23)
    with freeze_time(NOW) as frozen:
        assert not is_auto_completed(delivered, utc_now(), return_requested=False)
        frozen.tick(timedelta(hours=1))
        assert is_auto_completed(delivered, utc_now(), return_requested=False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("awaiting-shipment", Section.AWAITING_SHIPMENT),
        ("AWAITING_SHIPMENT", Section.AWAITING_SHIPMENT),
        ("awaiting shipment", Section.AWAITING_SHIPMENT),
        ("shipping", Section.AWAITING_SHIPMENT),
        ("In-Transit", Section.IN_TRANSIT),
        ("all", "all"),
        ("canceled", Section.CANCELLED),
        ("nonsense", None),
    ],
)
def test_slugs(text, expected):
    assert parse_slug(text) == expected


def test_delivery_failure_is_decided_by_reason_key_not_text():
    assert sections.delivery_failure("returned_to_shipper_refused") == "returned_to_sender"
    assert sections.delivery_failure("returned_to_shipper_other") == "delivery_failed"
    assert sections.delivery_failure("Package rejected") is None  # display text, not a key
    assert sections.delivery_failure("seller_cancel_reason_out_of_stock") is None
