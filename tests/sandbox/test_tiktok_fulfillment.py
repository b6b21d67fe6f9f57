"""The TikTok emulator's fulfilment endpoints (§16), driven over loopback with the signer of
test_tiktok_emulator."""

from datetime import UTC, datetime

import httpx
import pytest

from sandbox.tiktok import TikTokSandbox
from tests.utils.tiktok_signed import Client, clock_at, next_push

DETAIL = "/order/202309/orders"
PROVIDERS = "/logistics/202309/delivery_options/{}/shipping_providers"
SHIP = "/fulfillment/202309/orders/{}/packages"
UPDATE = "/fulfillment/202309/orders/{}/shipping_info/update"
UPDATE_PACKAGE = "/fulfillment/202309/packages/{}/shipping_info/update"
PACKAGE = "/fulfillment/202309/packages/{}"
SELLER_OPTION = "7091146663229654785"
USPS, UPS = "6617675021119438849", "6617675021119438850"
USPS_NUMBER = "9400111899223456789012"  # 22 digits, 94…: USPS only
SHARED_NUMBER = "9200190123456789012345"  # 22 digits, 92…: USPS and UPS Mail Innovations
UPS_NUMBER = "1Z999AA10123456784"
FRIDAY_NOON = int(datetime(2025, 6, 6, 12, tzinfo=UTC).timestamp())
DAY = 86400


@pytest.fixture
def sandbox():
    with TikTokSandbox(clock=clock_at(FRIDAY_NOON)) as running:
        yield running


@pytest.fixture
def client(sandbox):
    client = Client(sandbox, sandbox.issue_tokens()["access_token"])
    yield client
    client.http.close()


def code(response: httpx.Response) -> int:
    return response.json()["code"]


def detail(client: Client, order_id: str) -> dict:
    return client.ok("GET", DETAIL, {"ids": order_id})["orders"][0]


def ship(client: Client, order_id: str, tracking=USPS_NUMBER, provider=USPS, **extra):
    body = {"tracking_number": tracking, "shipping_provider_id": provider, **extra}
    return client.call("POST", SHIP.format(order_id), body=body)


def test_orders_carry_their_delivery_option_deadlines_and_no_package_before_shipping(client):
    order_id = client.sandbox.add_order(skus=["MUG-BLK-11"], status="AWAITING_SHIPMENT")["id"]
    order = detail(client, order_id)
    paid = order["paid_time"]
    assert order["shipping_type"] == "SELLER"
    assert order["delivery_option_id"] == SELLER_OPTION
    # Paid on Friday: two business days skip the weekend, so ship by Tuesday.
    assert datetime.fromtimestamp(order["rts_sla_time"], UTC).strftime("%a") == "Tue"
    assert order["rts_sla_time"] - paid == 4 * DAY
    assert order["shipping_due_time"] == paid + 7 * DAY
    assert "packages" not in order and "tracking_number" not in order
    (item,) = order["line_items"]
    assert item["package_status"] == "TO_FULFILL" and "package_id" not in item


def test_shipping_providers_only_for_the_seller_option(client, sandbox):
    providers = client.ok("GET", PROVIDERS.format(SELLER_OPTION))["shipping_providers"]
    names = [p["name"] for p in providers]
    assert {"USPS", "UPS", "UPS Mail Innovations", "FedEx"} <= set(names)
    tiktok = sandbox.add_order(skus=["MUG-BLK-11"], shipping_type="TIKTOK")
    assert tiktok["delivery_option_id"] != SELLER_OPTION
    assert code(client.call("GET", PROVIDERS.format(tiktok["delivery_option_id"]))) == 21008117
    assert code(client.call("GET", PROVIDERS.format("123"))) == 21008116


def test_mark_shipped_moves_the_order_to_awaiting_collection_and_pushes(client, sandbox, receiver):
    url, received, _ = receiver
    order_id = sandbox.add_order(skus=["MUG-BLK-11", "TOTE-NAT"])["id"]
    sandbox.webhook_url = url
    answer = ship(client, order_id).json()
    assert answer["code"] == 0 and "warning" not in answer["data"]
    data = answer["data"]
    order = detail(client, order_id)
    assert data["order_id"] == order_id
    assert sorted(data["order_line_item_ids"]) == sorted(i["id"] for i in order["line_items"])
    assert order["status"] == "AWAITING_COLLECTION"
    assert order["packages"] == [{"id": data["package_id"]}]
    assert order["tracking_number"] == USPS_NUMBER and order["shipping_provider_id"] == USPS
    assert order["rts_time"] == int(sandbox.clock.now())
    for item in order["line_items"]:
        assert (item["package_id"], item["tracking_number"]) == (data["package_id"], USPS_NUMBER)
        assert item["package_status"] == "PROCESSING"
    push = next_push(received, sandbox.app_key, sandbox.app_secret)
    assert (push["type"], push["data"]["order_status"]) == (1, "AWAITING_COLLECTION")


@pytest.mark.parametrize(
    ("tracking", "provider", "warning"),
    [
        (SHARED_NUMBER, USPS, "match more than one provider"),
        (UPS_NUMBER, USPS, "Did you mean UPS?"),
        ("ZZ12", USPS, "No shipping provider was found"),
    ],
)
def test_a_doubtful_tracking_number_ships_with_a_warning(
    client, sandbox, tracking, provider, warning
):
    order_id = sandbox.add_order(skus=["MUG-BLK-11"])["id"]
    answer = ship(client, order_id, tracking, provider).json()
    assert answer["code"] == 0
    assert warning in answer["data"]["warning"]["message"]
    assert detail(client, order_id)["status"] == "AWAITING_COLLECTION"


def refusal_cases(sandbox: TikTokSandbox) -> list[tuple[str, dict, int]]:
    add = sandbox.add_order
    cancelled = add(skus=["MUG-BLK-11"])["id"]
    sandbox.system_cancel(cancelled, "package_lost")
    shipped = add(skus=["MUG-BLK-11"], status="AWAITING_COLLECTION")["id"]
    fresh = add(skus=["MUG-BLK-11"])["id"]
    return [
        (add(skus=["MUG-BLK-11"], status="ON_HOLD")["id"], {}, 21011044),
        (add(skus=["MUG-BLK-11"], fulfillment_type="FULFILLMENT_BY_TIKTOK")["id"], {}, 21008025),
        (add(skus=["MUG-BLK-11"], shipping_type="TIKTOK")["id"], {}, 21011004),
        (add(skus=["MUG-BLK-11"], status="UNPAID")["id"], {}, 10007002),
        (cancelled, {}, 21011041),
        (shipped, {}, 21011006),
        ("576460000000009999", {}, 21008111),
        (fresh, {"provider": "42"}, 21011022),
        (fresh, {"tracking": "9400-1118"}, 21004012),
        (fresh, {"tracking": ""}, 21001001),
        (fresh, {"order_line_item_ids": ["not-mine"]}, 21001001),
        (fresh, {"order_line_item_ids": "li"}, 21001001),
    ]


def test_ship_refusals_answer_their_code_and_change_nothing(client, sandbox):
    for order_id, tweak, expected in refusal_cases(sandbox):
        before = (
            sandbox.order(order_id) if order_id in {o["id"] for o in sandbox.orders()} else None
        )
        response = ship(client, order_id, **tweak)
        assert (response.status_code, code(response)) == (200, expected), (order_id, tweak)
        assert response.json()["data"] is None
        if before is not None:
            assert sandbox.order(order_id) == before


def test_ship_needs_a_valid_signature_and_the_cipher(client, sandbox):
    order_id = sandbox.add_order(skus=["MUG-BLK-11"])["id"]
    body = {"tracking_number": USPS_NUMBER, "shipping_provider_id": USPS}
    forged = client.call("POST", SHIP.format(order_id), body=body, send_body=b'{"x":1}')
    assert (forged.status_code, code(forged)) == (401, 106001)
    no_cipher = client.call("POST", SHIP.format(order_id), body=body, cipher=False)
    assert code(no_cipher) == 106013
    assert sandbox.order(order_id)["status"] == "AWAITING_SHIPMENT"


def test_split_shipping_by_line_items(client, sandbox):
    order = sandbox.add_order(skus=["MUG-BLK-11", "TOTE-NAT"])
    first, second = (item["id"] for item in order["line_items"])
    part = ship(client, order["id"], order_line_item_ids=[first]).json()["data"]
    assert part["order_line_item_ids"] == [first]
    assert detail(client, order["id"])["status"] == "PARTIALLY_SHIPPING"
    again = ship(client, order["id"], UPS_NUMBER, UPS, order_line_item_ids=[first])
    assert code(again) == 21008099
    rest = ship(client, order["id"], UPS_NUMBER, UPS, order_line_item_ids=[second]).json()["data"]
    shipped = detail(client, order["id"])
    assert shipped["status"] == "AWAITING_COLLECTION"
    assert [p["id"] for p in shipped["packages"]] == [part["package_id"], rest["package_id"]]
    by_item = {item["id"]: item["tracking_number"] for item in shipped["line_items"]}
    assert by_item == {first: USPS_NUMBER, second: UPS_NUMBER}
    body = {"tracking_number": UPS_NUMBER, "shipping_provider_id": UPS}
    assert code(client.call("POST", UPDATE.format(order["id"]), body=body)) == 10007002
    package_update = client.call("POST", UPDATE_PACKAGE.format(part["package_id"]), body=body)
    assert code(package_update) == 0
    assert client.ok("GET", PACKAGE.format(part["package_id"]))["tracking_number"] == UPS_NUMBER
    assert client.ok("GET", PACKAGE.format(part["package_id"]))["split_and_combine_tag"] == "SPLIT"


def test_one_correction_within_72_hours(client, sandbox):
    order_id = sandbox.add_order(skus=["MUG-BLK-11"])["id"]
    body = {"tracking_number": UPS_NUMBER, "shipping_provider_id": UPS}
    assert code(client.call("POST", UPDATE.format(order_id), body=body)) == 21011043
    ship(client, order_id)
    assert client.ok("POST", UPDATE.format(order_id), body=body) == {}
    corrected = detail(client, order_id)
    assert (corrected["tracking_number"], corrected["shipping_provider"]) == (UPS_NUMBER, "UPS")
    again = client.call("POST", UPDATE.format(order_id), body=body)
    assert code(again) == 21011051

    late = sandbox.add_order(skus=["MUG-BLK-11"])["id"]
    ship(client, late)
    sandbox.clock.advance(72 * 3600 + 1)
    assert code(client.call("POST", UPDATE.format(late), body=body)) == 21011049
    assert detail(client, late)["tracking_number"] == USPS_NUMBER


def test_no_correction_once_delivered_or_on_hold(client, sandbox):
    body = {"tracking_number": UPS_NUMBER, "shipping_provider_id": UPS}
    delivered = sandbox.add_order(skus=["MUG-BLK-11"], status="DELIVERED")["id"]
    assert code(client.call("POST", UPDATE.format(delivered), body=body)) == 21011030
    held = sandbox.add_order(skus=["MUG-BLK-11"], status="ON_HOLD")["id"]
    assert code(client.call("POST", UPDATE.format(held), body=body)) == 21011044


def test_package_detail_follows_the_carrier(client, sandbox):
    order_id = sandbox.add_order(skus=["MUG-BLK-11"])["id"]
    package_id = ship(client, order_id).json()["data"]["package_id"]
    package = client.ok("GET", PACKAGE.format(package_id))
    assert package["orders"] == [{"id": order_id}]
    assert (package["package_status"], package["shipping_type"]) == ("PROCESSING", "SELLER")
    assert (package["tracking_number"], package["shipping_provider_name"]) == (USPS_NUMBER, "USPS")
    assert package["delivery_option_id"] == SELLER_OPTION
    sandbox.carrier_scan(order_id)
    assert detail(client, order_id)["status"] == "IN_TRANSIT"
    assert client.ok("GET", PACKAGE.format(package_id))["package_status"] == "FULFILLING"
    sandbox.deliver(order_id)
    assert client.ok("GET", PACKAGE.format(package_id))["package_status"] == "COMPLETED"
    assert code(client.call("GET", PACKAGE.format("1153460000000009999"))) == 10006402


def test_in_transit_only_once_every_package_is_scanned(client, sandbox):
    order = sandbox.add_order(skus=["MUG-BLK-11", "TOTE-NAT"])
    first, second = (item["id"] for item in order["line_items"])
    one = ship(client, order["id"], order_line_item_ids=[first]).json()["data"]["package_id"]
    sandbox.carrier_scan(order["id"], one)
    assert sandbox.order(order["id"])["status"] == "PARTIALLY_SHIPPING"
    two = ship(client, order["id"], UPS_NUMBER, UPS).json()["data"]["package_id"]
    assert sandbox.order(order["id"])["status"] == "AWAITING_COLLECTION"
    sandbox.carrier_scan(order["id"], two)
    assert sandbox.order(order["id"])["status"] == "IN_TRANSIT"


def test_shipping_rejects_a_pending_buyer_cancellation(client, sandbox):
    order_id = sandbox.add_order(skus=["MUG-BLK-11"])["id"]
    request = sandbox.buyer_cancel(order_id, pending=True)
    assert detail(client, order_id)["is_buyer_request_cancel"] is True
    assert code(ship(client, order_id)) == 0
    (record,) = [c for c in sandbox.cancellations() if c["cancel_id"] == request["cancel_id"]]
    assert record["cancel_status"] == "CANCELLATION_REQUEST_CANCELLED"
    assert detail(client, order_id)["is_buyer_request_cancel"] is False


def test_tiktok_cancels_what_is_not_shipped_or_collected_in_time(client, sandbox):
    unshipped = sandbox.add_order(skus=["MUG-BLK-11"])["id"]
    by_tiktok = sandbox.add_order(skus=["MUG-BLK-11"], fulfillment_type="FULFILLMENT_BY_TIKTOK")
    uncollected = sandbox.add_order(skus=["MUG-BLK-11"])["id"]
    ship(client, uncollected)
    sandbox.clock.advance(7 * DAY - 60)
    sandbox.tick()  # as before every API call (the access token would be past its 7 days)
    assert sandbox.order(unshipped)["status"] == "AWAITING_SHIPMENT"
    sandbox.clock.advance(60)
    sandbox.tick()
    cancelled = sandbox.order(unshipped)
    assert (cancelled["status"], cancelled["cancellation_initiator"]) == ("CANCELLED", "SYSTEM")
    assert sandbox.order(by_tiktok["id"])["status"] == "AWAITING_SHIPMENT"
    assert sandbox.order(uncollected)["status"] == "AWAITING_COLLECTION"
    sandbox.clock.advance(3 * DAY)
    sandbox.tick()
    late = sandbox.order(uncollected)
    assert (late["status"], late["cancel_reason"]) == ("CANCELLED", "Collection timed out")


def test_a_tracking_number_covers_one_recipient_only(client, sandbox):
    first = sandbox.add_order(skus=["MUG-BLK-11"])["id"]
    second = sandbox.add_order(skus=["MUG-BLK-11"])["id"]
    assert sandbox.order(first)["buyer_email"] != sandbox.order(second)["buyer_email"]
    assert code(ship(client, first)) == 0
    assert code(ship(client, second)) == 21011025


def test_carrier_scan_control_over_http(sandbox):
    order_id = sandbox.add_order(skus=["MUG-BLK-11"], status="AWAITING_COLLECTION")["id"]
    with httpx.Client(base_url=sandbox.url + "/_sandbox", timeout=5) as control:
        scanned = control.post(f"/orders/{order_id}/carrier_scan", json={})
        assert (scanned.status_code, scanned.json()["status"]) == (200, "IN_TRANSIT")
        assert control.post(f"/orders/{order_id}/carrier_scan", json={}).status_code == 400
        assert control.post("/orders/404/carrier_scan", json={}).status_code == 404
