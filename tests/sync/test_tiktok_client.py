import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from test_http import CeilingRandom, FakeApi, FakeTime

from sync.clock import from_unix, to_unix
from sync.errors import AuthFailed, Rejected, Unavailable
from sync.tiktok import ComboPart, TikTokClient, sign
from sync.tokens import MemoryTokenStore, Tokens

APP_KEY, APP_SECRET = "app-key", "app-secret"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ORDERS = "/order/202309/orders"
SEARCH = "/order/202309/orders/search"
SHOPS = "/authorization/202309/shops"
REFRESH = "/api/v2/token/refresh"
CANCEL = "/return_refund/202309/cancellations"
CANCEL_SEARCH = "/return_refund/202309/cancellations/search"


def ok(data: dict, request_id: str = "req-ok"):
    body = {"code": 0, "message": "Success", "request_id": request_id, "data": data}
    return lambda request: httpx.Response(200, json=body)


def fail(code: int, message: str, *, status=200, request_id="req-fail", headers=None):
    body = {"code": code, "message": message, "request_id": request_id, "data": None}
    return lambda request: httpx.Response(status, headers=headers, json=body)


def http(status: int, *, headers: dict | None = None, text: str = ""):
    return lambda request: httpx.Response(status, headers=headers, text=text)


def tokens(access="access-1", refresh="refresh-1", expires=NOW + timedelta(days=3)) -> Tokens:
    return Tokens(access, refresh, expires, NOW + timedelta(days=300))


def make_client(api: FakeApi, *, store=None, cipher: str | None = "cipher-1", **kwargs):
    time = FakeTime()
    store = store or MemoryTokenStore(tokens())
    client = TikTokClient(
        app_key=APP_KEY,
        app_secret=APP_SECRET,
        tokens=store,
        shop_cipher=cipher,
        transport=httpx.MockTransport(api),
        clock=lambda: NOW,
        sleep=time.sleep,
        monotonic=time.monotonic,
        rng=CeilingRandom(),
        **kwargs,
    )
    return client, time, store


def order_json(order_id="5001", **overrides) -> dict:
    order = {
        "id": order_id,
        "status": "AWAITING_SHIPMENT",
        "create_time": 1740800000,
        "update_time": 1740803600,
        "paid_time": 1740800100,
        "fulfillment_type": "FULFILLMENT_BY_SELLER",
        "cancel_reason": "",
        "is_buyer_request_cancel": False,
        "buyer_email": "v1abc@scs.tiktokw.us",
        "recipient_address": {"name": "Jane Buyer", "phone_number": "(+1)555-0100"},
        "payment": {"currency": "USD", "total_amount": "36.47", "sub_total": "33.98"},
        "line_items": [
            {
                "id": "li-1",
                "sku_id": "sku-1",
                "seller_sku": "MUG-RED",
                "product_id": "p-1",
                "product_name": "Mug",
                "sku_name": "Red",
                "sale_price": "16.99",
                "currency": "USD",
                "display_status": "AWAITING_SHIPMENT",
            },
            {
                "id": "li-2",
                "sku_id": "sku-bundle",
                "seller_sku": "",
                "product_id": "p-9",
                "product_name": "Mug set",
                "sku_name": "Bundle",
                "sale_price": "16.99",
                "currency": "USD",
                "combined_listing_skus": [
                    {"sku_id": "sku-1", "sku_count": 2, "product_id": "p-1"},
                    {"sku_id": "sku-2", "sku_count": 1, "product_id": "p-2", "seller_sku": "LID"},
                ],
            },
        ],
    }
    return order | overrides


def query(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params)


def assert_signed(request: httpx.Request) -> None:
    params = query(request)
    assert params["sign"] == sign(request.url.path, params, request.content, APP_SECRET)


def test_get_orders_is_signed_with_the_common_parameters_and_token_header():
    api = FakeApi({ORDERS: [ok({"orders": [order_json()]})]})
    client, _, _ = make_client(api)
    client.get_orders(["5001"])
    (request,) = api.requests
    params = query(request)
    assert params["app_key"] == APP_KEY
    assert params["timestamp"] == str(to_unix(NOW))
    assert params["shop_cipher"] == "cipher-1"
    assert params["ids"] == "5001"
    assert "access_token" not in params
    assert request.headers["x-tts-access-token"] == "access-1"
    assert request.headers["content-type"] == "application/json"
    assert_signed(request)


def test_search_signs_the_exact_compact_body_sent():
    api = FakeApi({SEARCH: [ok({"orders": [], "next_page_token": "", "total_count": 0})]})
    client, _, _ = make_client(api)
    list(client.search_orders(update_time_ge=1740000000, order_status="AWAITING_SHIPMENT"))
    (request,) = api.requests
    assert request.content == b'{"order_status":"AWAITING_SHIPMENT","update_time_ge":1740000000}'
    assert query(request)["sort_field"] == "update_time"
    assert query(request)["sort_order"] == "ASC"
    assert "page_token" not in query(request)
    assert_signed(request)


def test_the_cipher_is_looked_up_once_without_a_cipher_on_the_authorization_path():
    shops = {
        "shops": [
            {
                "id": "7001",
                "name": "Mugs",
                "region": "US",
                "seller_type": "LOCAL",
                "cipher": "looked-up",
                "code": "USMUGS",
            }
        ]
    }
    api = FakeApi({SHOPS: [ok(shops)], ORDERS: [ok({"orders": []})]})
    client, _, _ = make_client(api, cipher=None)
    client.get_orders(["1"])
    client.get_orders(["2"])
    assert client.shop_cipher() == "looked-up"
    (shops_request,) = api.to(SHOPS)
    assert "shop_cipher" not in query(shops_request)
    assert_signed(shops_request)
    assert [query(r)["shop_cipher"] for r in api.to(ORDERS)] == ["looked-up", "looked-up"]


def test_expired_token_refreshes_once_resends_and_saves_the_new_tokens():
    refreshed = {
        "access_token": "access-2",
        "access_token_expire_in": 1741500000,  # absolute Unix time, not a duration
        "refresh_token": "refresh-2",
        "refresh_token_expire_in": 1771000000,
    }
    api = FakeApi(
        {
            ORDERS: [fail(105002, "access token is expired"), ok({"orders": [order_json()]})],
            REFRESH: [ok(refreshed)],
        }
    )
    client, _, store = make_client(api)
    (order,) = client.get_orders(["5001"])
    assert order.id == "5001"
    (refresh,) = api.to(REFRESH)
    assert refresh.url.host == "auth.tiktok-shops.com"
    assert query(refresh) == {
        "app_key": APP_KEY,
        "app_secret": APP_SECRET,
        "refresh_token": "refresh-1",
        "grant_type": "refresh_token",
    }
    first, resent = api.to(ORDERS)
    assert first.headers["x-tts-access-token"] == "access-1"
    assert resent.headers["x-tts-access-token"] == "access-2"
    assert_signed(resent)
    saved = store.load()
    assert (saved.access_token, saved.refresh_token) == ("access-2", "refresh-2")
    assert saved.access_expires_at == from_unix(1741500000)
    assert saved.refresh_expires_at == from_unix(1771000000)


def test_a_token_near_expiry_is_refreshed_before_the_call():
    refreshed = {
        "access_token": "access-2",
        "access_token_expire_in": 1741500000,
        "refresh_token": "refresh-2",
        "refresh_token_expire_in": 1771000000,
    }
    api = FakeApi({ORDERS: [ok({"orders": []})], REFRESH: [ok(refreshed)]})
    store = MemoryTokenStore(tokens(expires=NOW + timedelta(minutes=1)))
    client, _, _ = make_client(api, store=store)
    client.get_orders(["1"])
    assert [r.url.path for r in api.requests] == [REFRESH, ORDERS]
    assert api.requests[1].headers["x-tts-access-token"] == "access-2"


def test_still_expired_after_a_refresh_is_auth_failed_after_one_refresh():
    refreshed = {"access_token": "access-2", "access_token_expire_in": 1741500000}
    api = FakeApi({ORDERS: [fail(105002, "expired")], REFRESH: [ok(refreshed)]})
    client, _, _ = make_client(api)
    with pytest.raises(AuthFailed) as raised:
        client.get_orders(["1"])
    assert raised.value.code == 105002
    assert len(api.to(REFRESH)) == 1
    assert len(api.to(ORDERS)) == 2


def test_a_refused_refresh_is_auth_failed():
    api = FakeApi(
        {
            ORDERS: [fail(105002, "expired")],
            REFRESH: [fail(36004004, "refresh token invalid")],
        }
    )
    client, _, _ = make_client(api)
    with pytest.raises(AuthFailed, match="refresh token invalid"):
        client.get_orders(["1"])


def test_search_follows_page_tokens_lazily_and_stops_at_empty():
    pages = [
        ok({"orders": [order_json("1")], "next_page_token": "t1", "total_count": 3}),
        ok({"orders": [order_json("2")], "next_page_token": "t2", "total_count": 3}),
        ok({"orders": [order_json("3")], "next_page_token": "", "total_count": 3}),
    ]
    api = FakeApi({SEARCH: pages})
    client, _, _ = make_client(api)
    search = client.search_orders(update_time_ge=1740000000, page_size=1)
    first = next(search)
    assert [o.id for o in first.orders] == ["1"]
    assert (first.next_page_token, first.total_count) == ("t1", 3)
    assert len(api.requests) == 1  # one request per page, on demand
    rest = list(search)
    assert [o.id for page in rest for o in page.orders] == ["2", "3"]
    assert [query(r).get("page_token") for r in api.requests] == [None, "t1", "t2"]
    assert all(r.content == b'{"update_time_ge":1740000000}' for r in api.requests)


def test_get_orders_batches_ids_fifty_at_a_time():
    api = FakeApi({ORDERS: [ok({"orders": []})]})
    client, _, _ = make_client(api)
    ids = [str(1000 + n) for n in range(120)]
    client.get_orders(ids)
    batches = [query(r)["ids"].split(",") for r in api.requests]
    assert [len(batch) for batch in batches] == [50, 50, 20]
    assert [i for batch in batches for i in batch] == ids


def test_order_is_parsed_with_decimal_money_combined_items_and_no_buyer_data():
    api = FakeApi({ORDERS: [ok({"orders": [order_json()]})]})
    client, _, _ = make_client(api)
    (order,) = client.get_orders(["5001"])
    assert order.total_amount == Decimal("36.47")
    assert order.currency == "USD"
    assert order.create_time == datetime(2025, 3, 1, 3, 33, 20, tzinfo=UTC)
    assert order.cancel_reason is None
    assert order.cancel_time is None
    single, bundle = order.line_items
    assert single.sale_price == Decimal("16.99")
    assert isinstance(single.sale_price, Decimal)
    assert single.combined == ()
    assert bundle.seller_sku == ""
    assert bundle.combined == (
        ComboPart(sku_id="sku-1", sku_count=2, product_id="p-1", seller_sku=None),
        ComboPart(sku_id="sku-2", sku_count=1, product_id="p-2", seller_sku="LID"),
    )
    kept = repr(order)
    assert "Jane Buyer" not in kept and "555-0100" not in kept and "scs.tiktokw" not in kept


def test_an_unreadable_order_is_unavailable_not_a_crash():
    api = FakeApi({ORDERS: [ok({"orders": [{"id": "1"}]})]})
    client, _, _ = make_client(api)
    with pytest.raises(Unavailable, match="get_orders: unreadable answer"):
        client.get_orders(["1"])


def test_429_with_retry_after_waits_that_long_then_succeeds():
    api = FakeApi(
        {
            ORDERS: [
                fail(36009002, "too many requests", status=429, headers={"retry-after": "2"}),
                ok({"orders": [order_json()]}),
            ]
        }
    )
    calls: list[tuple[str, str, str]] = []
    client, time, _ = make_client(api, on_call=lambda *call: calls.append(call))
    assert [o.id for o in client.get_orders(["5001"])] == ["5001"]
    assert time.sleeps == [2.0]
    assert calls == [("tiktok", "get_orders", "429"), ("tiktok", "get_orders", "200")]


def test_5xx_twice_then_success_backs_off_exponentially():
    api = FakeApi({ORDERS: [http(503), http(502), ok({"orders": []})]})
    client, time, _ = make_client(api)
    assert client.get_orders(["1"]) == []
    assert time.sleeps == [0.5, 1.0]
    assert len(api.requests) == 3
    for request in api.requests:
        assert_signed(request)


def test_retry_budget_exhausted_is_unavailable():
    api = FakeApi({ORDERS: [fail(36009003, "internal error", request_id="req-500")]})
    client, time, _ = make_client(api, max_attempts=3)
    with pytest.raises(Unavailable) as raised:
        client.get_orders(["1"])
    assert len(api.requests) == 3
    assert time.sleeps == [0.5, 1.0]
    assert (raised.value.code, raised.value.request_id) == (36009003, "req-500")


def test_malformed_json_is_retried():
    api = FakeApi({ORDERS: [http(200, text="<html>oops"), ok({"orders": []})]})
    client, time, _ = make_client(api)
    assert client.get_orders(["1"]) == []
    assert len(api.requests) == 2
    assert time.sleeps == [0.5]


def test_business_refusal_is_rejected_with_the_platform_message_and_request_id():
    api = FakeApi({CANCEL: [fail(25001021, "Reason not match order status", request_id="r-9")]})
    client, time, _ = make_client(api)
    with pytest.raises(Rejected) as raised:
        client.cancel_order("5001", "seller_cancel_reason_out_of_stock")
    error = raised.value
    assert (error.platform, error.code, error.request_id) == ("tiktok", 25001021, "r-9")
    assert error.message == "Reason not match order status"
    assert len(api.requests) == 1 and time.sleeps == []


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("Invalid x-tts-access-token header", AuthFailed),
        ("invalid app_key", AuthFailed),
        ("timestamp is older than 5 minutes", AuthFailed),
        ("Unexpected identifier: shop_cipher is not required", Rejected),
        ("version name is invalid", Rejected),
    ],
)
def test_the_reused_validation_code_is_read_by_its_message(message, error):
    api = FakeApi({ORDERS: [fail(36009004, message)]})
    client, _, _ = make_client(api)
    with pytest.raises(error, match=message):
        client.get_orders(["1"])
    assert len(api.requests) == 1


def test_cancel_order_sends_the_reason_key():
    api = FakeApi(
        {CANCEL: [ok({"cancel_id": "c-1", "cancel_status": "CANCELLATION_REQUEST_SUCCESS"})]}
    )
    client, _, _ = make_client(api)
    result = client.cancel_order("5001", "seller_cancel_reason_out_of_stock")
    assert (result.cancel_id, result.cancel_status) == ("c-1", "CANCELLATION_REQUEST_SUCCESS")
    (request,) = api.requests
    assert request.method == "POST"
    assert json.loads(request.content) == {
        "order_id": "5001",
        "cancel_reason": "seller_cancel_reason_out_of_stock",
    }
    assert_signed(request)


def test_search_cancellations_pages_through_all_and_keeps_the_reason_key():
    def cancellation(cancel_id, reason):
        return {
            "cancel_id": cancel_id,
            "order_id": "5001",
            "role": "SYSTEM",
            "cancel_reason": reason,
            "cancel_reason_text": "Paquet perdu",
            "cancel_status": "CANCELLATION_REQUEST_COMPLETE",
            "create_time": 1740900000,
        }

    api = FakeApi(
        {
            CANCEL_SEARCH: [
                ok(
                    {
                        "cancellations": [cancellation("c-1", "package_lost")],
                        "next_page_token": "n1",
                    }
                ),
                ok(
                    {
                        "cancellations": [cancellation("c-2", "returned_to_shipper_other")],
                        "next_page_token": "",
                    }
                ),
            ]
        }
    )
    client, _, _ = make_client(api)
    found = client.search_cancellations(order_ids=["5001"])
    assert [(c.cancel_id, c.cancel_reason) for c in found] == [
        ("c-1", "package_lost"),
        ("c-2", "returned_to_shipper_other"),
    ]
    assert found[0].create_time == from_unix(1740900000)
    assert [query(r)["page_size"] for r in api.requests] == ["50", "50"]
    assert query(api.requests[1])["page_token"] == "n1"
    assert json.loads(api.requests[0].content) == {"order_ids": ["5001"]}


def test_search_cancellations_without_orders_asks_nothing():
    api = FakeApi({})
    client, _, _ = make_client(api)
    assert client.search_cancellations(order_ids=[]) == []
    assert api.requests == []


def test_tracking_times_are_milliseconds():
    events = {"tracking": [{"description": "Delivered", "update_time_millis": 1740900000123}]}
    api = FakeApi({"/fulfillment/202309/orders/5001/tracking": [ok(events)]})
    client, _, _ = make_client(api)
    (event,) = client.get_tracking("5001")
    assert event.description == "Delivered"
    assert event.at == from_unix(1740900000) + timedelta(milliseconds=123)
