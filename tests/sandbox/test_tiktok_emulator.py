"""The TikTok Shop emulator, driven over loopback with plain httpx and a signer written here."""

import ast
import sys
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from sandbox.clock import SandboxClock
from sandbox.tiktok import TikTokSandbox, request_sign, webhook_sign
from sandbox.tiktok.faults import RateLimiter
from tests.utils.tiktok_signed import clock_at, next_push, sign

SEARCH = "/order/202309/orders/search"
DETAIL = "/order/202309/orders"
CANCEL = "/return_refund/202309/cancellations"
CANCELS = "/return_refund/202309/cancellations/search"
SHOPS = "/authorization/202309/shops"


# --- signing ---------------------------------------------------------------------------------

VECTORS = [  # §3, all three
    ("app_secret", "/test-api", {"foo": "bar"}, b"",
     "d3cb7fe11ecae942802ceeca67e7cf10120cc12f1517d45fbc1c8cfe5413c80f"),
    ("e59af819cc", SHOPS, {"app_key": "29a39d", "timestamp": "1623812664"}, b"",
     "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"),
    ("app_secret", SEARCH, {"app_key": "app_key", "page_size": "50", "shop_cipher": "cipher",
                            "timestamp": "1700000000"},
     b'{"order_status":"AWAITING_SHIPMENT","update_time_ge":1700000000}',
     "4c76455a4329ac52b2c73717392d3871af7f79dffc9a9e26cd4484fbbe5c1451"),
]  # fmt: skip


@pytest.mark.parametrize(("secret", "path", "query", "body", "expected"), VECTORS)
def test_reference_vectors_match_both_signers(secret, path, query, body, expected):
    assert request_sign(path, {**query, "sign": "x"}, body, secret) == expected
    assert sign(path, query, body, secret) == expected


@pytest.mark.parametrize(("secret", "path", "query", "body", "expected"), VECTORS[1:])
def test_verifier_accepts_the_reference_requests(secret, path, query, body, expected):
    app_key, cipher = query["app_key"], query.get("shop_cipher", "unused")
    clock = clock_at(int(query["timestamp"]))
    with TikTokSandbox(app_key=app_key, app_secret=secret, shop_cipher=cipher, clock=clock) as sb:
        token = sb.issue_tokens()["access_token"]
        method = "POST" if body else "GET"
        headers = {"content-type": "application/json", "x-tts-access-token": token}
        params = {**query, "sign": expected}
        response = httpx.request(
            method, sb.url + path, params=params, content=body, headers=headers
        )
    assert response.status_code == 200
    assert response.json()["code"] == 0


def test_webhook_signature_matches_the_reference_sample():
    body = (
        b'{"type":1,"shop_id":"7494726673780148744","timestamp":1664095733,"data":{"order_id":'
        b'"576684019603311365","order_status":"AWAITING_SHIPMENT","update_time":1664095610}}'
    )
    expected = "21109834de72ec53c9959716d8514ae388ce1f123e5ffdcafc46713fcdf62b27"
    assert webhook_sign("fake_app_key", "fake_app_secret", body) == expected


def test_tampered_body_is_refused_with_401(client, sandbox):
    response = client.call("POST", SEARCH, {"page_size": "10"}, {}, send_body=b'{"x":1}')
    assert response.status_code == 401
    payload = response.json()
    assert (payload["code"], payload["data"]) == (106001, None)
    assert payload["request_id"]
    assert sandbox.calls[-1].code == 106001


@pytest.mark.parametrize(
    ("skew_s", "accepted"), [(-290, True), (-301, False), (20, True), (31, False)]
)
def test_timestamp_window_is_5_minutes_back_30_seconds_ahead(client, sandbox, skew_s, accepted):
    timestamp = int(sandbox.clock.now()) + skew_s
    payload = client.call("GET", SHOPS, timestamp=timestamp).json()
    if accepted:
        assert payload["code"] == 0
    else:
        assert payload["code"] == 36009004
        assert "timestamp" in payload["message"]


def test_content_type_is_required(client):
    response = client.call("GET", SHOPS, headers={"content-type": "text/plain"})
    assert response.json()["code"] == 36009022


def test_missing_or_foreign_cipher_is_refused(client):
    assert (
        client.call("POST", SEARCH, {"page_size": "5"}, {}, cipher=False).json()["code"] == 106013
    )
    foreign = client.call("POST", SEARCH, {"page_size": "5", "shop_cipher": "ROW_other"}, {})
    assert foreign.json()["code"] == 101000


def test_cipher_on_authorized_shops_is_refused(client, sandbox):
    refused = client.call("GET", SHOPS, {"shop_cipher": sandbox.shop.cipher}).json()
    assert refused["code"] == 36009004
    assert "shop_cipher" in refused["message"]
    shops = client.ok("GET", SHOPS)["shops"]
    assert [(s["id"], s["cipher"]) for s in shops] == [(sandbox.shop.id, sandbox.shop.cipher)]


def test_unknown_token_path_and_method(client):
    client.access_token = "not-a-token"
    refused = client.call("GET", SHOPS).json()
    assert refused["code"] == 36009004 and "access token" in refused["message"]
    assert client.call("GET", "/order/202309/nothing").status_code == 404
    wrong_method = client.call("DELETE", SEARCH)
    assert (wrong_method.status_code, wrong_method.json()["code"]) == (405, 36009010)


# --- tokens ----------------------------------------------------------------------------------


def test_expired_token_then_refresh_rotates_the_refresh_token(client, sandbox):
    first = sandbox.issue_tokens()
    client.access_token = first["access_token"]
    sandbox.expire_access_tokens()
    assert client.call("GET", SHOPS).json()["code"] == 105002

    query = {"app_key": sandbox.app_key, "app_secret": sandbox.app_secret,
             "refresh_token": first["refresh_token"], "grant_type": "refresh_token"}  # fmt: skip
    refreshed = client.http.get("/api/v2/token/refresh", params=query).json()
    assert refreshed["code"] == 0
    tokens = refreshed["data"]
    now = sandbox.clock.now()
    assert now + 7 * 86400 - 5 <= tokens["access_token_expire_in"] <= now + 7 * 86400 + 5
    assert tokens["refresh_token"] != first["refresh_token"]

    client.access_token = tokens["access_token"]
    assert client.ok("GET", SHOPS)["shops"]
    reused = client.http.get("/api/v2/token/refresh", params=query).json()
    assert reused["code"] != 0 and reused["data"] is None


def test_auth_code_is_single_use(client, sandbox):
    query = {"app_key": sandbox.app_key, "app_secret": sandbox.app_secret,
             "auth_code": sandbox.new_auth_code(), "grant_type": "authorized_code"}  # fmt: skip
    assert client.http.get("/api/v2/token/get", params=query).json()["data"]["access_token"]
    assert client.http.get("/api/v2/token/get", params=query).json()["code"] == 36004004


# --- orders ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort_field", "sort_order"), [("create_time", "DESC"), ("update_time", "ASC")]
)
def test_paging_returns_each_order_once_while_orders_change(
    client, sandbox, sort_field, sort_order
):
    seeded = sandbox.seed_orders(250, statuses={"AWAITING_SHIPMENT": 1})
    query = {"page_size": "100", "sort_field": sort_field, "sort_order": sort_order}
    first_page = {order["id"] for order in client.ok("POST", SEARCH, query, {})["orders"]}
    assert len(first_page) == 100
    unseen = [order_id for order_id in seeded if order_id not in first_page]

    def change_orders(page):  # one order already served, one still to come, both move to the end
        sandbox.clock.advance(60)
        sandbox.advance(sorted(first_page)[page])
        sandbox.advance(unseen[page])

    ids = client.search_all(query, {}, between_pages=change_orders)
    assert len(ids) == 250
    assert set(ids) == set(seeded)


def test_bad_page_token_is_refused(client, sandbox):
    sandbox.seed_orders(3)
    data = client.ok("POST", SEARCH, {"page_size": "1"}, {})
    forged = data["next_page_token"][:-2] + "AA"
    assert client.call("POST", SEARCH, {"page_size": "1", "page_token": forged}, {}).json()["code"]
    other_query = {"page_size": "1", "page_token": data["next_page_token"]}
    refused = client.call("POST", SEARCH, other_query, {"order_status": "UNPAID"}).json()
    assert refused["code"] != 0 and "page_token" in refused["message"]


@pytest.mark.parametrize("page_size", [None, "0", "101", "abc"])
def test_page_size_is_required_between_1_and_100(client, page_size):
    query = {} if page_size is None else {"page_size": page_size}
    assert client.call("POST", SEARCH, query, {}).json()["code"] != 0


def test_update_time_window_is_inclusive_exclusive(client, sandbox):
    start = int(sandbox.clock.now())
    ids = []
    for _ in range(3):
        ids.append(sandbox.add_order(skus=["MUG-BLK-11"])["id"])
        sandbox.clock.advance(100)
    window = {"update_time_ge": start + 100, "update_time_lt": start + 200}
    found = client.ok("POST", SEARCH, {"page_size": "50"}, window)
    assert [order["id"] for order in found["orders"]] == [ids[1]]
    assert found["total_count"] == 1
    sandbox.advance(ids[0])  # an update moves the order into a later window
    later = client.ok("POST", SEARCH, {"page_size": "50"}, {"update_time_ge": start + 300})
    assert [order["id"] for order in later["orders"]] == [ids[0]]


def test_detail_allows_at_most_50_ids(client, sandbox):
    ids = sandbox.seed_orders(51)
    assert client.call("GET", DETAIL, {"ids": ",".join(ids)}).json()["code"] != 0
    orders = client.ok("GET", DETAIL, {"ids": ",".join(ids[:50])})["orders"]
    assert sorted(order["id"] for order in orders) == sorted(ids[:50])


def test_each_line_item_is_one_unit_with_string_money(sandbox):
    order = sandbox.add_order(skus=["MUG-BLK-11", "MUG-BLK-11", "TOTE-NAT"])
    items = order["line_items"]
    assert [item["seller_sku"] for item in items] == ["MUG-BLK-11", "MUG-BLK-11", "TOTE-NAT"]
    assert len({item["id"] for item in items}) == 3
    assert all("quantity" not in item and isinstance(item["sale_price"], str) for item in items)
    assert sum(Decimal(item["sale_price"]) for item in items) == Decimal(
        order["payment"]["sub_total"]
    )
    payment = order["payment"]
    total = sum(Decimal(payment[k]) for k in ("sub_total", "shipping_fee", "tax"))
    assert Decimal(payment["total_amount"]) == total


def test_combined_listing_item_lists_its_components(sandbox):
    bundle = {"sku_id": "1729000000000000999", "seller_sku": "BUNDLE-1",
              "components": [{"seller_sku": "MUG-BLK-11", "sku_count": 2},
                             {"seller_sku": "TOTE-NAT", "sku_count": 1}]}  # fmt: skip
    order = sandbox.add_order(skus=[], combined=[bundle])
    (item,) = order["line_items"]
    assert item["sku_id"] == "1729000000000000999"
    assert item["combined_listing_skus"] == [
        {"sku_id": "1729384756012345601", "sku_count": 2, "product_id": "1729384756012340001"},
        {"sku_id": "1729384756012345603", "sku_count": 1, "product_id": "1729384756012340002"},
    ]
    assert item["sale_price"] == "51.00"


BUNDLE = {"sku_id": "1729000000000000999", "seller_sku": "BUNDLE-1",
          "components": [{"seller_sku": "MUG-BLK-11", "sku_count": 2},
                         {"seller_sku": "TOTE-NAT", "sku_count": 1}]}  # fmt: skip


def _searched(client, order_id: str) -> dict:
    found = client.ok("POST", SEARCH, {"page_size": "50"}, {})["orders"]
    return next(order for order in found if order.get("id") == order_id)


def test_202309_search_leaves_out_combined_components_that_detail_gives(client, sandbox):
    assert sandbox.combined_on_search is False  # the default follows the 202309 reference
    order_id = sandbox.add_order(skus=["CANDLE-LAV"], combined=[BUNDLE])["id"]
    plain, bundle = _searched(client, order_id)["line_items"]
    assert "combined_listing_skus" not in plain and "combined_listing_skus" not in bundle
    assert bundle["sku_id"] == BUNDLE["sku_id"]  # the item itself is there, only its parts lack
    (detailed,) = client.ok("GET", DETAIL, {"ids": order_id})["orders"]
    assert [len(item.get("combined_listing_skus", [])) for item in detailed["line_items"]] == [
        0,
        2,
    ]
    assert sandbox.order(order_id) == detailed


def test_combined_on_search_gives_later_versions_components_in_both_calls(client, sandbox):
    order_id = sandbox.add_order(skus=[], combined=[BUNDLE])["id"]
    with httpx.Client(base_url=sandbox.url + "/_sandbox", timeout=5) as control:
        assert control.get("/config").json() == {"combined_on_search": False}
        assert control.post("/config", json={"combined_on_search": True}).json() == {
            "combined_on_search": True
        }
        assert control.post("/config", json={"combined_on_search": "yes"}).status_code == 400
        assert control.post("/config", json={"nope": True}).status_code == 400
    (item,) = _searched(client, order_id)["line_items"]
    (detailed,) = client.ok("GET", DETAIL, {"ids": order_id})["orders"]
    assert item["combined_listing_skus"] == detailed["line_items"][0]["combined_listing_skus"]
    assert len(item["combined_listing_skus"]) == 2
    with TikTokSandbox(combined_on_search=True) as later:
        assert later.combined_on_search is True


def _line(order: dict) -> dict:
    return order["line_items"][0]


MALFORMED = {  # name -> what a client sees
    "line_item_without_id": lambda order: "id" not in _line(order) and _line(order)["sku_id"],
    "money_not_a_number": lambda order: (
        _line(order)["sale_price"] == order["payment"]["total_amount"] == "N/A"
    ),
    "no_line_items": lambda order: "line_items" not in order and order["payment"],
    "unknown_status": lambda order: order["status"] not in (
        "UNPAID", "ON_HOLD", "AWAITING_SHIPMENT", "PARTIALLY_SHIPPING", "AWAITING_COLLECTION",
        "IN_TRANSIT", "DELIVERED", "COMPLETED", "CANCELLED",
    ),
}  # fmt: skip


@pytest.mark.parametrize("how", sorted(MALFORMED))
def test_one_malformed_order_is_broken_on_search_and_detail_and_the_rest_are_not(
    client, sandbox, how
):
    good = sandbox.add_order(skus=["MUG-BLK-11", "TOTE-NAT"])
    bad = sandbox.add_order(skus=["MUG-BLK-11", "TOTE-NAT"], malformed=how)
    assert MALFORMED[how](bad)
    searched = client.ok("POST", SEARCH, {"page_size": "50"}, {})["orders"]
    assert len(searched) == 2 and good in searched
    by_detail = client.ok("GET", DETAIL, {"ids": f"{good['id']},{bad['id']}"})["orders"]
    assert by_detail == [good, bad] and bad in searched
    mended = sandbox.malform_order(bad["id"], None)  # the order itself never broke
    assert "id" in _line(mended) and Decimal(mended["payment"]["total_amount"]) > 0
    assert mended["status"] == "AWAITING_SHIPMENT" and len(mended["line_items"]) == 2


def test_malformations_are_staged_by_name_also_over_http(sandbox):
    order_id = sandbox.add_order(skus=["TOTE-NAT"])["id"]
    with pytest.raises(ValueError, match="unknown malformation"):
        sandbox.malform_order(order_id, "on_fire")
    with pytest.raises(ValueError):
        sandbox.add_order(skus=["TOTE-NAT"], malformed="on_fire")
    assert len(sandbox.orders()) == 1  # a refused add adds nothing
    with httpx.Client(base_url=sandbox.url + "/_sandbox", timeout=5) as control:
        shown = control.post(f"/orders/{order_id}/malform", json={"how": "no_line_items"})
        assert shown.status_code == 200 and "line_items" not in shown.json()
        assert control.post(f"/orders/{order_id}/malform", json={"how": "x"}).status_code == 400
        assert control.post(f"/orders/{order_id}/malform", json={}).status_code == 400
        assert control.post("/orders/404/malform", json={"how": None}).status_code == 404
        added = control.post("/orders", json={"skus": ["TOTE-NAT"], "malformed": "unknown_status"})
        assert added.json()["status"] == "AWAITING_SOMETHING_NEW"
        sandbox.advance(order_id)  # the lifecycle runs on under a malformation
        mended = control.post(f"/orders/{order_id}/malform", json={"how": None}).json()
        assert [item["seller_sku"] for item in mended["line_items"]] == ["TOTE-NAT"]
        assert mended["status"] == "AWAITING_COLLECTION"


def test_contact_data_appears_only_after_the_hold_ends(client, sandbox):
    order = sandbox.add_order(skus=["MUG-BLK-11"], status="ON_HOLD")
    held = client.ok("GET", DETAIL, {"ids": order["id"]})["orders"][0]
    assert "recipient_address" not in held and held["buyer_email"] == ""
    sandbox.clock.advance(3600)
    released = client.ok("GET", DETAIL, {"ids": order["id"]})["orders"][0]
    assert released["status"] == "AWAITING_SHIPMENT"
    assert released["update_time"] == held["paid_time"] + 3600
    assert released["recipient_address"]["postal_code"] and released["buyer_email"]


def test_delivered_orders_complete_after_completion_days(sandbox):
    order_id = sandbox.add_order(skus=["TOTE-NAT"], status="IN_TRANSIT")["id"]
    delivered = sandbox.deliver(order_id)
    assert delivered["delivery_time"] >= delivered["collection_time"] >= delivered["rts_time"]
    sandbox.clock.advance(14 * 86400)
    sandbox.tick()
    assert sandbox.order(order_id)["status"] == "DELIVERED"
    sandbox.clock.advance(86400)
    sandbox.tick()
    assert sandbox.order(order_id)["status"] == "COMPLETED"


def test_tracking_events_are_in_milliseconds(client, sandbox):
    order = sandbox.add_order(skus=["TOTE-NAT"], status="IN_TRANSIT")
    events = client.ok("GET", f"/fulfillment/202309/orders/{order['id']}/tracking")["tracking"]
    assert len(events) == 2
    assert events[0]["update_time_millis"] == order["collection_time"] * 1000


def test_seeding_is_deterministic_for_a_seed():
    def seeded():
        clock = SandboxClock(base=lambda: 1_700_000_000.0)
        sandbox = TikTokSandbox(seed=7, clock=clock)
        ids = sandbox.seed_orders(200)
        return [sandbox.order(order_id) for order_id in ids]

    first, second = seeded(), seeded()
    assert first == second
    statuses = [order["status"] for order in first]
    assert statuses.count("AWAITING_SHIPMENT") > 150 and {"ON_HOLD", "UNPAID"} <= set(statuses)
    by_tiktok = sum(order["fulfillment_type"] == "FULFILLMENT_BY_TIKTOK" for order in first)
    assert 1 <= by_tiktok <= 25
    assert all(1 <= len(order["line_items"]) <= 3 for order in first)


# --- cancellations ---------------------------------------------------------------------------


def test_reason_for_another_status_is_refused_and_nothing_changes(client, sandbox):
    order = sandbox.add_order(skus=["MUG-BLK-11"])
    body = {"order_id": order["id"], "cancel_reason": "seller_cancel_unpaid_reason_out_of_stock"}
    refused = client.call("POST", CANCEL, body=body).json()
    assert (refused["code"], refused["message"]) == (25001021, "Reason not match order status")
    assert sandbox.order(order["id"]) == order
    assert sandbox.cancellations() == []


def test_seller_cancel_cancels_and_records_the_reason_key(client, sandbox):
    order_id = sandbox.add_order(skus=["MUG-BLK-11"])["id"]
    body = {"order_id": order_id, "cancel_reason": "seller_cancel_reason_out_of_stock"}
    result = client.ok("POST", CANCEL, body=body)
    assert result["cancel_status"] == "CANCELLATION_REQUEST_SUCCESS"

    order = client.ok("GET", DETAIL, {"ids": order_id})["orders"][0]
    assert (order["status"], order["cancellation_initiator"]) == ("CANCELLED", "SELLER")
    assert order["cancel_reason"] == "Out of stock" and order["cancel_time"]
    assert {(i["display_status"], i["cancel_user"]) for i in order["line_items"]} == {
        ("CANCELLED", "SELLER")
    }
    found = client.ok("POST", CANCELS, {"page_size": "50"}, {"order_ids": [order_id]})
    (record,) = found["cancellations"]
    assert record["cancel_id"] == result["cancel_id"]
    assert (record["role"], record["cancel_reason"]) == ("SELLER", body["cancel_reason"])
    assert record["cancel_status"] in (
        "CANCELLATION_REQUEST_SUCCESS",
        "CANCELLATION_REQUEST_COMPLETE",
    )
    assert client.call("POST", CANCEL, body=body).json()["code"] == 25001051


@pytest.mark.parametrize(
    ("status", "reason", "code"),
    [
        ("UNPAID", "seller_cancel_unpaid_reason_wrong_price", 0),
        ("UNPAID", "seller_cancel_reason_wrong_price", 25001021),
        ("ON_HOLD", "seller_cancel_paid_reason_address_not_deliver", 0),
        ("AWAITING_COLLECTION", "seller_cancel_reason_out_of_stock", 25001021),
        ("IN_TRANSIT", "seller_cancel_reason_out_of_stock", 25001045),
        ("COMPLETED", "seller_cancel_reason_out_of_stock", 25001051),
        ("AWAITING_SHIPMENT", "no_such_reason", 25001014),
        ("AWAITING_SHIPMENT", "package_lost", 25001015),
    ],
)
def test_seller_reason_table_by_status(client, sandbox, status, reason, code):
    order_id = sandbox.add_order(skus=["TOTE-NAT"], status=status)["id"]
    answer = client.call("POST", CANCEL, body={"order_id": order_id, "cancel_reason": reason})
    assert answer.json()["code"] == code
    assert (sandbox.order(order_id)["status"] == "CANCELLED") == (code == 0)


def test_system_cancel_reason_key_is_only_in_cancellations(client, sandbox):
    order_id = sandbox.add_order(skus=["TOTE-NAT"], status="IN_TRANSIT")["id"]
    sandbox.buyer_cancel(sandbox.add_order(skus=["TOTE-NAT"])["id"])
    sandbox.system_cancel(order_id, "returned_to_shipper_refused")
    order = client.ok("GET", DETAIL, {"ids": order_id})["orders"][0]
    assert (order["cancel_reason"], order["cancellation_initiator"]) == (
        "Package rejected",
        "SYSTEM",
    )
    found = client.ok("POST", CANCELS, {}, {"cancel_types": ["CANCEL"]})
    (record,) = found["cancellations"]
    assert (record["order_id"], record["role"]) == (order_id, "SYSTEM")
    assert record["cancel_reason"] == "returned_to_shipper_refused"
    buyer = client.ok("POST", CANCELS, {}, {"cancel_types": ["BUYER_CANCEL"]})["cancellations"]
    assert buyer[0]["role"] == "BUYER"
    assert buyer[0]["cancel_reason"].startswith("ecom_order_to_ship_canceled_reason_")


# --- webhooks --------------------------------------------------------------------------------


def test_pushes_are_signed_and_say_cancel(sandbox, receiver):
    url, received, _ = receiver
    sandbox.webhook_url = url
    order_id = sandbox.add_order(skus=["MUG-BLK-11"])["id"]
    created = next_push(received, sandbox.app_key, sandbox.app_secret)
    assert created["type"] == 1 and created["shop_id"] == sandbox.shop.id
    assert created["data"]["order_id"] == order_id
    assert created["data"]["order_status"] == "AWAITING_SHIPMENT"
    assert created["tts_notification_id"]

    sandbox.system_cancel(order_id, "package_lost")
    pushes = [next_push(received, sandbox.app_key, sandbox.app_secret) for _ in range(3)]
    assert [p["type"] for p in pushes] == [11, 11, 1]
    assert [p["data"].get("cancel_status") for p in pushes[:2]] == [
        "CANCELLATION_REQUEST_SUCCESS",
        "CANCELLATION_REQUEST_COMPLETE",
    ]
    assert pushes[0]["data"]["cancellations_role"] == "SYSTEM"
    assert pushes[2]["data"]["order_status"] == "CANCEL"


def test_failed_push_is_retried_and_recorded(sandbox, receiver):
    url, received, replies = receiver
    replies.extend([500, 502])
    sandbox.webhook_url = url
    sandbox.add_order(skus=["MUG-BLK-11"])
    bodies = [received.get(timeout=5)[1] for _ in range(3)]
    assert bodies[0] == bodies[1] == bodies[2]
    assert sandbox.wait_for_webhooks(5)
    attempts = [(d.attempt, d.status, d.ok) for d in sandbox.webhook_deliveries]
    assert attempts == [(1, 500, False), (2, 502, False), (3, 200, True)]


def test_duplicate_pushes_share_a_notification_id(sandbox, receiver):
    url, received, _ = receiver
    sandbox.webhook_url, sandbox.duplicate_webhooks = url, True
    sandbox.add_order(skus=["MUG-BLK-11"])
    first, second = (next_push(received, sandbox.app_key, sandbox.app_secret) for _ in range(2))
    assert first == second


def test_shop_webhook_api_routes_pushes(client, sandbox, receiver):
    url, received, _ = receiver
    client.ok(
        "PUT", "/event/202309/webhooks", body={"address": url, "event_type": "ORDER_STATUS_CHANGE"}
    )
    hooks = client.ok("GET", "/event/202309/webhooks")
    assert [(h["event_type"], h["address"]) for h in hooks["webhooks"]] == [
        ("ORDER_STATUS_CHANGE", url)
    ]
    sandbox.add_order(skus=["TOTE-NAT"])
    assert next_push(received, sandbox.app_key, sandbox.app_secret)["type"] == 1
    client.ok("DELETE", "/event/202309/webhooks", body={"event_type": "ORDER_STATUS_CHANGE"})
    assert client.ok("GET", "/event/202309/webhooks")["total_count"] == 0


# --- faults and limits -----------------------------------------------------------------------


def test_burst_429_carries_retry_after(client, sandbox):
    sandbox.faults.burst_429 = 2
    sandbox.faults.retry_after_s = 3
    for _ in range(2):
        response = client.call("GET", SHOPS)
        assert (response.status_code, response.json()["code"]) == (429, 36009002)
        assert response.headers["retry-after"] == "3"
    assert client.call("GET", SHOPS).status_code == 200


def test_rate_limit_is_a_token_bucket_per_api():
    now = [0.0]
    limiter = RateLimiter(50, monotonic=lambda: now[0])
    assert all(limiter.acquire("/a") is None for _ in range(50))
    assert limiter.acquire("/a") == 1
    assert limiter.acquire("/b") is None
    now[0] += 0.1  # five tokens back
    assert sum(limiter.acquire("/a") is None for _ in range(10)) == 5


def test_injected_faults(client, sandbox):
    sandbox.faults.update(error_rate=1.0)
    assert client.call("GET", SHOPS).status_code in (500, 503)
    sandbox.faults.update(error_rate=0, malformed_rate=1.0)
    malformed = client.call("GET", SHOPS)
    assert malformed.status_code == 200
    with pytest.raises(ValueError):
        malformed.json()
    sandbox.faults.update(malformed_rate=0, reset_rate=1.0)
    with pytest.raises(httpx.TransportError):
        client.call("GET", SHOPS)
    statuses = [call.status for call in sandbox.calls[-3:]]
    assert statuses[0] in (500, 503) and statuses[1:] == [200, 0]  # 0: dropped, no answer


def test_controls_over_http(sandbox):
    with httpx.Client(base_url=sandbox.url + "/_sandbox", timeout=5) as control:
        order = control.post("/orders", json={"skus": ["MUG-BLK-11"], "status": "UNPAID"}).json()
        advanced = control.post(f"/orders/{order['id']}/advance").json()
        assert advanced["status"] == "ON_HOLD"
        seeded = control.post("/orders/seed", json={"n": 4}).json()["order_ids"]
        assert len(control.get("/orders").json()["orders"]) == 5 and len(seeded) == 4
        before = control.get("/clock").json()["now"]
        assert control.post("/clock", json={"advance_s": 3600}).json()["now"] >= before + 3600
        assert sandbox.order(order["id"])["status"] == "AWAITING_SHIPMENT"
        cancel = control.post(f"/orders/{order['id']}/system_cancel", json={}).json()
        assert cancel["cancel_reason"] == "returned_to_shipper_refused"
        assert control.post("/faults", json={"burst_429": 1}).json()["burst_429"] == 1
        assert control.post("/faults", json={"nope": 1}).status_code == 400
        assert control.post("/orders/404/advance").status_code == 404
        tokens = control.post("/tokens").json()
        assert httpx.get(sandbox.url + SHOPS).status_code == 429  # the burst, before any check
        assert control.get("/calls").json()["count"] == 1
        control.post("/tokens/expire")
        assert sandbox.tokens.state(tokens["access_token"]).value == "expired"


def test_sandbox_imports_no_orderbot_package():
    allowed = set(sys.stdlib_module_names) | {"sandbox"}
    package = Path(__file__).resolve().parents[2] / "sandbox" / "tiktok"
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = [node.module.split(".")[0]]
            else:
                continue
            assert set(roots) <= allowed, f"{source.name} imports {roots}"
