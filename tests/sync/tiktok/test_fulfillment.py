"""TikTokClient's shipping calls: against the emulator over loopback (contract), and with
httpx.MockTransport for the faults that decide whether a ship call may be resent."""

import httpx
import pytest

from sandbox.tiktok import TikTokSandbox
from sync.errors import Rejected, Unavailable
from sync.tiktok import PackageStatus, ShippingType
from tests.utils.clients import tiktok_client as make_client
from tests.utils.fakes import FakeApi
from tests.utils.tiktok_answers import assert_signed, fail, http, ok
from tests.utils.tiktok_sandbox_client import sandbox_client

USPS, UPS = "6617675021119438849", "6617675021119438850"
USPS_NUMBER, UPS_NUMBER = "9400111899223456789012", "1Z999AA10123456784"
SHIP = "/fulfillment/202309/orders/5001/packages"
UPDATE = "/fulfillment/202309/orders/5001/shipping_info/update"
PACKAGE = "/fulfillment/202309/packages/p-1"


@pytest.fixture
def sandbox():
    with TikTokSandbox(rate_per_s=1000) as running:
        yield running


@pytest.fixture
def client(sandbox):
    client = sandbox_client(sandbox)
    yield client
    client.close()


def test_orders_carry_shipping_facts_and_the_carriers_of_their_option(client, sandbox):
    order_id = sandbox.add_order(skus=["MUG-BLK-11"])["id"]
    (order,) = client.get_orders([order_id])
    assert order.shipping_type is ShippingType.SELLER
    assert order.rts_sla_time is not None and order.rts_sla_time.tzinfo is not None
    assert order.shipping_due_time > order.rts_sla_time
    assert order.package_ids == () and order.tracking_number is None
    providers = client.shipping_providers(order.delivery_option_id)
    assert {"USPS", "UPS"} <= {provider.name for provider in providers}
    tiktok_id = sandbox.add_order(skus=["MUG-BLK-11"], shipping_type="TIKTOK")["id"]
    (tiktok,) = client.get_orders([tiktok_id])
    assert tiktok.shipping_type is ShippingType.TIKTOK
    with pytest.raises(Rejected) as refused:
        client.shipping_providers(tiktok.delivery_option_id)
    assert refused.value.code == 21008117


def test_mark_shipped_then_one_correction(client, sandbox):
    order_id = sandbox.add_order(skus=["MUG-BLK-11"])["id"]
    shipped = client.mark_shipped(order_id, shipping_provider_id=USPS, tracking_number=USPS_NUMBER)
    assert shipped.order_id == order_id and shipped.package_id and shipped.warning is None
    (order,) = client.get_orders([order_id])
    assert order.status == "AWAITING_COLLECTION"
    assert order.package_ids == (shipped.package_id,)
    assert [item.package_id for item in order.line_items] == [shipped.package_id]
    client.update_shipping_info(order_id, shipping_provider_id=UPS, tracking_number=UPS_NUMBER)
    assert client.get_orders([order_id])[0].tracking_number == UPS_NUMBER
    with pytest.raises(Rejected) as refused:
        client.update_shipping_info(order_id, shipping_provider_id=UPS, tracking_number=UPS_NUMBER)
    assert refused.value.code == 21011051


def test_a_doubtful_number_comes_back_as_a_warning(client, sandbox):
    order_id = sandbox.add_order(skus=["MUG-BLK-11"])["id"]
    shipped = client.mark_shipped(order_id, shipping_provider_id=USPS, tracking_number=UPS_NUMBER)
    assert "UPS" in shipped.warning


def test_split_shipping_and_package_details(client, sandbox):
    order = sandbox.add_order(skus=["MUG-BLK-11", "TOTE-NAT"])
    first, second = (item["id"] for item in order["line_items"])
    part = client.mark_shipped(
        order["id"], shipping_provider_id=USPS, tracking_number=USPS_NUMBER, line_item_ids=[first]
    )
    assert part.line_item_ids == (first,)
    assert client.get_orders([order["id"]])[0].status == "PARTIALLY_SHIPPING"
    rest = client.mark_shipped(order["id"], shipping_provider_id=UPS, tracking_number=UPS_NUMBER)
    assert rest.line_item_ids == (second,)
    client.update_package_shipping_info(
        part.package_id, shipping_provider_id=UPS, tracking_number=UPS_NUMBER
    )
    detail = client.package_detail(part.package_id)
    assert (detail.status, detail.tracking_number) == (PackageStatus.PROCESSING, UPS_NUMBER)
    assert detail.order_ids == (order["id"],) and detail.line_item_ids == (first,)
    assert detail.shipping_type is ShippingType.SELLER and detail.create_time.tzinfo
    sandbox.carrier_scan(order["id"])
    assert client.package_detail(part.package_id).status is PackageStatus.FULFILLING


def test_a_refusal_is_rejected_at_once(client, sandbox):
    order_id = sandbox.add_order(skus=["MUG-BLK-11"], status="ON_HOLD")["id"]
    sandbox.reset_calls()
    with pytest.raises(Rejected) as refused:
        client.mark_shipped(order_id, shipping_provider_id=USPS, tracking_number=USPS_NUMBER)
    assert refused.value.code == 21011044 and len(sandbox.calls) == 1


@pytest.mark.parametrize("answer", [http(503), fail(36009003, "internal error"), http(200)])
def test_shipping_is_not_resent_after_an_answer_that_may_hide_a_shipment(answer):
    api = FakeApi({SHIP: [answer, ok({"package_id": "p-1"})]})
    client, _, _ = make_client(api)
    with pytest.raises(Unavailable, match="not retried"):
        client.mark_shipped("5001", shipping_provider_id=USPS, tracking_number=USPS_NUMBER)
    assert len(api.requests) == 1


def test_a_correction_is_not_resent_after_a_lost_answer():
    def lost(request):
        raise httpx.ReadTimeout("slow")

    api = FakeApi({UPDATE: [lost, ok({})]})
    client, _, _ = make_client(api)
    with pytest.raises(Unavailable, match="not retried"):
        client.update_shipping_info("5001", shipping_provider_id=UPS, tracking_number=UPS_NUMBER)
    assert len(api.requests) == 1


def test_shipping_is_resent_when_nothing_was_done_and_signed_each_time():
    limited = fail(36009002, "too many requests", status=429, headers={"retry-after": "1"})
    api = FakeApi({SHIP: [limited, ok({"order_id": "5001", "package_id": "p-1"})]})
    client, time, _ = make_client(api)
    shipped = client.mark_shipped(
        "5001", shipping_provider_id=USPS, tracking_number=USPS_NUMBER, line_item_ids=["li-1"]
    )
    assert (shipped.package_id, shipped.line_item_ids, shipped.warning) == ("p-1", (), None)
    assert len(api.requests) == 2 and time.sleeps == [1.0]
    for request in api.requests:
        assert_signed(request)
        assert request.url.params["shop_cipher"] == "cipher-1"
    assert api.requests[0].content == (
        b'{"tracking_number":"9400111899223456789012","shipping_provider_id":'
        b'"6617675021119438849","order_line_item_ids":["li-1"]}'
    )


def test_a_package_answer_without_its_id_is_unavailable():
    api = FakeApi({PACKAGE: [ok({"package_status": "PROCESSING"})]})
    client, _, _ = make_client(api)
    with pytest.raises(Unavailable, match="unreadable"):
        client.package_detail("p-1")


def test_an_unknown_package_status_is_kept_as_unknown():
    api = FakeApi({PACKAGE: [ok({"package_id": "p-1", "package_status": "LOST_IN_SPACE"})]})
    client, _, _ = make_client(api)
    assert client.package_detail("p-1").status is PackageStatus.UNKNOWN
