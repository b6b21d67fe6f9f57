"""The emulator's `over_long_<field>` malformations: one order shows one field far longer than
usual, and nothing else of it changes."""

import pytest

from sandbox.tiktok import TikTokSandbox
from sandbox.tiktok.orders import OVER_LONG


@pytest.fixture
def sandbox():
    with TikTokSandbox() as running:
        yield running


def first_line(order: dict, name: str) -> str:
    return order["line_items"][0][name]


SHOWN = {  # malformation -> where the field is read
    "over_long_line_id": lambda order: first_line(order, "id"),
    "over_long_sku_id": lambda order: first_line(order, "sku_id"),
    "over_long_seller_sku": lambda order: first_line(order, "seller_sku"),
    "over_long_display_status": lambda order: first_line(order, "display_status"),
    "over_long_currency": lambda order: order["payment"]["currency"],
    "over_long_cancellation_initiator": lambda order: order.get("cancellation_initiator", ""),
}


@pytest.mark.parametrize("how", sorted(SHOWN))
def test_one_field_grows_and_the_rest_stays(sandbox, how):
    order_id = sandbox.add_order(skus=["MUG-BLK-11", "TOTE-NAT"])["id"]
    mended = sandbox.order(order_id)

    broken = sandbox.malform_order(order_id, how)

    value = SHOWN[how](broken)
    assert len(value) >= OVER_LONG and value.startswith(SHOWN[how](mended))
    assert sandbox.order(order_id) == broken  # shown so from now on
    assert sandbox.malform_order(order_id, None) == mended
    if how == "over_long_currency":
        assert all(len(item["currency"]) > OVER_LONG for item in broken["line_items"])
