import json
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from sync.clock import from_unix, to_unix
from sync.errors import AuthFailed, Rejected, Unavailable
from sync.tiktok import (
    Cancellation,
    ComboPart,
    effective_cancellation,
    effective_cancellations,
)
from sync.tokens import MemoryTokenStore
from tests.utils.clients import APP_KEY, APP_SECRET, NOW, tiktok_client
from tests.utils.clients import tiktok_tokens as tokens
from tests.utils.fakes import FakeApi
from tests.utils.tiktok_answers import assert_signed, fail, http, ok, query

ORDERS = "/order/202309/orders"
SEARCH = "/order/202309/orders/search"
SHOPS = "/authorization/202309/shops"
REFRESH = "/api/v2/token/refresh"
CANCEL = "/return_refund/202309/cancellations"
CANCEL_SEARCH = "/return_refund/202309/cancellations/search"


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


def test_get_orders_is_signed_with_the_common_parameters_and_token_header():
    api = FakeApi({ORDERS: [ok({"orders": [order_json()]})]})
    client, _, _ = tiktok_client(api)
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
    client, _, _ = tiktok_client(api)
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
    client, _, _ = tiktok_client(api, cipher=None)
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
    client, _, store = tiktok_client(api)
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
    client, _, _ = tiktok_client(api, store=store)
    client.get_orders(["1"])
    assert [r.url.path for r in api.requests] == [REFRESH, ORDERS]
    assert api.requests[1].headers["x-tts-access-token"] == "access-2"


def test_still_expired_after_a_refresh_is_auth_failed_after_one_refresh():
    refreshed = {"access_token": "access-2", "access_token_expire_in": 1741500000}
    api = FakeApi({ORDERS: [fail(105002, "expired")], REFRESH: [ok(refreshed)]})
    client, _, _ = tiktok_client(api)
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
    client, _, _ = tiktok_client(api)
    with pytest.raises(AuthFailed, match="refresh token invalid"):
        client.get_orders(["1"])


def test_search_follows_page_tokens_lazily_and_stops_at_empty():
    pages = [
        ok({"orders": [order_json("1")], "next_page_token": "t1", "total_count": 3}),
        ok({"orders": [order_json("2")], "next_page_token": "t2", "total_count": 3}),
        ok({"orders": [order_json("3")], "next_page_token": "", "total_count": 3}),
    ]
    api = FakeApi({SEARCH: pages})
    client, _, _ = tiktok_client(api)
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
    client, _, _ = tiktok_client(api)
    ids = [str(1000 + n) for n in range(120)]
    client.get_orders(ids)
    batches = [query(r)["ids"].split(",") for r in api.requests]
    assert [len(batch) for batch in batches] == [50, 50, 20]
    assert [i for batch in batches for i in batch] == ids


def test_order_is_parsed_with_decimal_money_combined_items_and_no_buyer_data():
    api = FakeApi({ORDERS: [ok({"orders": [order_json()]})]})
    client, _, _ = tiktok_client(api)
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


def test_an_answer_without_the_documented_shape_is_unavailable_not_a_crash():
    api = FakeApi({SHOPS: [ok({"shops": [{"name": "Mugs"}]})]})  # no id, no cipher
    client, _, _ = tiktok_client(api, cipher=None)
    with pytest.raises(Unavailable, match="authorized_shops: unreadable answer"):
        client.authorized_shops()


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
    client, time, _ = tiktok_client(api, on_call=lambda *call: calls.append(call))
    assert [o.id for o in client.get_orders(["5001"])] == ["5001"]
    assert time.sleeps == [2.0]
    assert calls == [("tiktok", "get_orders", "429"), ("tiktok", "get_orders", "200")]


def test_5xx_twice_then_success_backs_off_exponentially():
    api = FakeApi({ORDERS: [http(503), http(502), ok({"orders": []})]})
    client, time, _ = tiktok_client(api)
    assert client.get_orders(["1"]) == []
    assert time.sleeps == [0.5, 1.0]
    assert len(api.requests) == 3
    for request in api.requests:
        assert_signed(request)


def test_retry_budget_exhausted_is_unavailable():
    api = FakeApi({ORDERS: [fail(36009003, "internal error", request_id="req-500")]})
    client, time, _ = tiktok_client(api, max_attempts=3)
    with pytest.raises(Unavailable) as raised:
        client.get_orders(["1"])
    assert len(api.requests) == 3
    assert time.sleeps == [0.5, 1.0]
    assert (raised.value.code, raised.value.request_id) == (36009003, "req-500")


def test_malformed_json_is_retried():
    api = FakeApi({ORDERS: [http(200, text="<html>oops"), ok({"orders": []})]})
    client, time, _ = tiktok_client(api)
    assert client.get_orders(["1"]) == []
    assert len(api.requests) == 2
    assert time.sleeps == [0.5]


def test_business_refusal_is_rejected_with_the_platform_message_and_request_id():
    api = FakeApi({CANCEL: [fail(25001021, "Reason not match order status", request_id="r-9")]})
    client, time, _ = tiktok_client(api)
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
    client, _, _ = tiktok_client(api)
    with pytest.raises(error, match=message):
        client.get_orders(["1"])
    assert len(api.requests) == 1


def test_cancel_order_sends_the_reason_key():
    api = FakeApi(
        {CANCEL: [ok({"cancel_id": "c-1", "cancel_status": "CANCELLATION_REQUEST_SUCCESS"})]}
    )
    client, _, _ = tiktok_client(api)
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
    client, _, _ = tiktok_client(api)
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
    client, _, _ = tiktok_client(api)
    assert client.search_cancellations(order_ids=[]) == []
    assert api.requests == []


def test_tracking_times_are_milliseconds():
    events = {"tracking": [{"description": "Delivered", "update_time_millis": 1740900000123}]}
    api = FakeApi({"/fulfillment/202309/orders/5001/tracking": [ok(events)]})
    client, _, _ = tiktok_client(api)
    (event,) = client.get_tracking("5001")
    assert event.description == "Delivered"
    assert event.at == from_unix(1740900000) + timedelta(milliseconds=123)


# --- one odd order must not stop a fetch ----------------------------------------------------


def odd_orders() -> list[dict]:
    no_item_id = order_json("bad-item")
    del no_item_id["line_items"][0]["id"]
    odd_money = order_json("odd-money", payment={"currency": "USD", "total_amount": "N/A"})
    odd_money["line_items"][0]["sale_price"] = "twelve"
    no_count = order_json("no-count")
    del no_count["line_items"][1]["combined_listing_skus"][1]["sku_count"]
    bad_count = order_json("bad-count")
    bad_count["line_items"][1]["combined_listing_skus"][0]["sku_count"] = "lots"
    no_time = order_json("no-time", update_time=None)
    return [
        order_json("good-1"),
        no_item_id,
        odd_money,
        no_count,
        bad_count,
        no_time,
        {"status": "UNPAID"},  # no id at all: logged, cannot be named
        "not an order",
        order_json("good-2"),
    ]


def test_an_unreadable_order_is_skipped_logged_and_named_not_the_whole_page(caplog):
    page = {"orders": odd_orders(), "next_page_token": "", "total_count": "many"}
    api = FakeApi({SEARCH: [ok(page)]})
    client, _, _ = tiktok_client(api)
    with caplog.at_level(logging.WARNING, logger="sync.tiktok"):
        (result,) = list(client.search_orders(update_time_ge=1740000000))
    assert [o.id for o in result.orders] == ["good-1", "odd-money", "no-count", "good-2"]
    assert result.skipped == ("bad-item", "bad-count", "no-time")
    assert result.total_count is None
    odd = result.orders[1]
    assert odd.total_amount is None and odd.line_items[0].sale_price is None
    assert odd.line_items[1].sale_price == Decimal("16.99")
    bundle = result.orders[2].line_items[1]
    assert [(part.sku_id, part.sku_count) for part in bundle.combined] == [
        ("sku-1", 2),
        ("sku-2", 1),
    ]
    log = caplog.text
    assert "order bad-item skipped: order bad-item line item.id is missing" in log
    assert "order bad-count skipped" in log and "sku_count" in log
    assert "order no-time skipped: order no-time.update_time is missing" in log
    assert "order no-count line item li-2 combined_listing_skus[1].sku_count is missing" in log
    assert "order odd-money payment.total_amount is not an amount" in log
    assert "(no id)" in log
    for secret in ("access-1", "refresh-1", APP_SECRET, "Jane Buyer", "555-0100"):
        assert secret not in log


def test_get_orders_skips_unreadable_orders_and_can_name_them():
    api = FakeApi({ORDERS: [ok({"orders": odd_orders()})]})
    client, _, _ = tiktok_client(api)
    skipped: list[str] = []
    orders = client.get_orders(["x"], skipped=skipped)
    assert [o.id for o in orders] == ["good-1", "odd-money", "no-count", "good-2"]
    assert skipped == ["bad-item", "bad-count", "no-time"]
    assert [o.id for o in client.get_orders(["x"])] == [o.id for o in orders]


@pytest.mark.parametrize("count", [0, -1, 2.5, True, "1.5", [2]])
def test_a_combined_item_with_a_bad_sku_count_is_skipped_never_guessed(count):
    order = order_json("5001")
    order["line_items"][1]["combined_listing_skus"][0]["sku_count"] = count
    api = FakeApi({ORDERS: [ok({"orders": [order]})]})
    client, _, _ = tiktok_client(api)
    skipped: list[str] = []
    assert client.get_orders(["5001"], skipped=skipped) == []
    assert skipped == ["5001"]


@pytest.mark.parametrize("count", [3, "3", 3.0])
def test_sku_count_accepts_whole_numbers_in_any_json_form(count):
    order = order_json("5001")
    order["line_items"][1]["combined_listing_skus"][0]["sku_count"] = count
    api = FakeApi({ORDERS: [ok({"orders": [order]})]})
    client, _, _ = tiktok_client(api)
    (parsed,) = client.get_orders(["5001"])
    assert parsed.line_items[1].combined[0].sku_count == 3


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "1,234.00", "$5", "--1"])
def test_money_that_is_not_a_finite_number_is_none(amount):
    order = order_json("5001", payment={"currency": "USD", "total_amount": amount})
    api = FakeApi({ORDERS: [ok({"orders": [order]})]})
    client, _, _ = tiktok_client(api)
    (parsed,) = client.get_orders(["5001"])
    assert parsed.total_amount is None


# --- paging ---------------------------------------------------------------------------------


def test_a_repeated_page_token_stops_the_search_with_a_warning(caplog):
    pages = [
        ok({"orders": [order_json("1")], "next_page_token": "t1"}),
        ok({"orders": [order_json("2")], "next_page_token": "t2"}),
        ok({"orders": [order_json("3")], "next_page_token": "t1"}),  # back to an old cursor
        ok({"orders": [order_json("4")], "next_page_token": ""}),
    ]
    api = FakeApi({SEARCH: pages})
    client, _, _ = tiktok_client(api)
    with caplog.at_level(logging.WARNING, logger="sync.tiktok"):
        found = [o.id for page in client.search_orders(page_size=1) for o in page.orders]
    assert found == ["1", "2", "3"]
    assert [query(r).get("page_token") for r in api.requests] == [None, "t1", "t2"]
    assert "next_page_token repeats" in caplog.text


def test_the_same_page_token_forever_is_asked_twice_not_forever():
    api = FakeApi({SEARCH: [ok({"orders": [order_json("1")], "next_page_token": "same"})]})
    client, _, _ = tiktok_client(api)
    pages = list(client.search_orders())
    assert len(pages) == 2 and len(api.requests) == 2


def test_search_cancellations_loops_no_more_than_orders_do():
    answer = ok({"cancellations": [], "next_page_token": "same"})
    api = FakeApi({CANCEL_SEARCH: [answer]})
    client, _, _ = tiktok_client(api)
    assert client.search_cancellations(order_ids=["5001"]) == []
    assert len(api.requests) == 2


# --- Retry-After -----------------------------------------------------------------------------


def test_retry_after_as_an_http_date_is_counted_from_the_clients_clock():
    when = "Sat, 01 Mar 2025 12:00:05 GMT"  # NOW + 5 s
    api = FakeApi(
        {
            ORDERS: [
                fail(36009002, "too many requests", status=429, headers={"retry-after": when}),
                ok({"orders": []}),
            ]
        }
    )
    client, time, _ = tiktok_client(api)
    assert client.get_orders(["1"]) == []
    assert time.sleeps == [5.0]


# --- Cancel Order is a POST that is not repeated --------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        http(503),
        http(500, text="<html>"),
        fail(36009003, "internal error"),
        fail(36009007, "request timed out"),
        http(200, text="truncated {"),
    ],
)
def test_cancel_order_is_not_resent_after_an_answer_that_may_hide_a_done_cancel(answer):
    api = FakeApi({CANCEL: [answer, ok({"cancel_id": "c-2", "cancel_status": "X"})]})
    client, time, _ = tiktok_client(api)
    with pytest.raises(Unavailable, match="not retried"):
        client.cancel_order("5001", "seller_cancel_reason_out_of_stock")
    assert len(api.requests) == 1 and time.sleeps == []


@pytest.mark.parametrize("error", [httpx.ReadTimeout("slow"), httpx.ReadError("reset")])
def test_cancel_order_is_not_resent_after_a_lost_answer(error):
    attempts = []

    def handler(request):
        attempts.append(request)
        raise error

    client, time, _ = tiktok_client(handler)
    with pytest.raises(Unavailable, match="not retried"):
        client.cancel_order("5001", "seller_cancel_reason_out_of_stock")
    assert len(attempts) == 1 and time.sleeps == []


def test_cancel_order_is_resent_when_nothing_was_done():
    answers = [
        fail(36009002, "too many requests", status=429, headers={"retry-after": "1"}),
        lambda request: (_ for _ in ()).throw(httpx.ConnectError("refused")),  # never sent
        ok({"cancel_id": "c-1", "cancel_status": "CANCELLATION_REQUEST_SUCCESS"}),
    ]
    api = FakeApi({CANCEL: answers})
    client, time, _ = tiktok_client(api)
    result = client.cancel_order("5001", "seller_cancel_reason_out_of_stock")
    assert result.cancel_id == "c-1"
    assert len(api.requests) == 3
    assert time.sleeps == [1.0, 1.0]  # Retry-After, then the backoff ceiling for attempt 2
    for request in api.requests:
        assert_signed(request)


def test_cancel_order_reads_an_answer_without_its_fields():
    api = FakeApi({CANCEL: [ok({})]})
    client, _, _ = tiktok_client(api)
    result = client.cancel_order("5001", "seller_cancel_reason_out_of_stock")
    assert (result.cancel_id, result.cancel_status) == ("", "")


def test_other_calls_still_retry_5xx_and_timeouts():
    errors = [httpx.ReadTimeout("slow")]

    def respond(request):
        if errors:
            raise errors.pop(0)
        return ok({"orders": []})(request)

    api = FakeApi({ORDERS: [http(503), respond]})
    client, time, _ = tiktok_client(api)
    assert client.get_orders(["1"]) == []
    assert len(api.requests) == 3 and time.sleeps == [0.5, 1.0]


# --- token refresh margin -------------------------------------------------------------------


def refresh_answer(expires_at: datetime) -> dict:
    return {
        "access_token": "access-2",
        "access_token_expire_in": to_unix(expires_at),
        "refresh_token": "refresh-2",
        "refresh_token_expire_in": 1771000000,
    }


@pytest.mark.parametrize(
    "expires_at",
    [
        NOW + timedelta(minutes=2),  # a token that lives shorter than the 5-minute margin
        NOW - timedelta(minutes=1),  # TikTok's clock behind ours: expired on arrival
    ],
)
def test_a_freshly_refreshed_token_is_not_refreshed_again_on_every_call(expires_at):
    api = FakeApi(
        {
            ORDERS: [fail(105002, "expired"), ok({"orders": []})],
            REFRESH: [ok(refresh_answer(expires_at))],
        }
    )
    client, _, store = tiktok_client(api)
    for _ in range(3):
        client.get_orders(["1"])
    assert len(api.to(REFRESH)) == 1
    assert [r.headers["x-tts-access-token"] for r in api.to(ORDERS)] == [
        "access-1",
        "access-2",
        "access-2",
        "access-2",
    ]
    assert store.load().issued_at == NOW


def test_a_short_lived_token_is_refreshed_in_the_last_tenth_of_its_life():
    clock = {"now": NOW}
    api = FakeApi(
        {
            ORDERS: [fail(105002, "expired"), ok({"orders": []})],
            REFRESH: [
                ok(refresh_answer(NOW + timedelta(minutes=2))),
                ok({**refresh_answer(NOW + timedelta(hours=1)), "access_token": "access-3"}),
            ],
        }
    )
    client, _, _ = tiktok_client(api, clock=lambda: clock["now"])
    client.get_orders(["1"])
    clock["now"] = NOW + timedelta(seconds=107)  # 13 s left: more than 12 s, not yet due
    client.get_orders(["1"])
    assert len(api.to(REFRESH)) == 1
    clock["now"] = NOW + timedelta(seconds=108)  # 12 s left: a tenth of its 2 minutes
    client.get_orders(["1"])
    assert len(api.to(REFRESH)) == 2
    assert api.to(ORDERS)[-1].headers["x-tts-access-token"] == "access-3"


# --- several cancellation records per order -------------------------------------------------


def record(status, *, at=1740900000, cancel_id=None, order_id="5001", updated=None):
    return Cancellation(
        cancel_id=cancel_id or f"c-{status}",
        order_id=order_id,
        role="SYSTEM",
        cancel_reason=f"reason-{status}",
        cancel_reason_text=None,
        cancel_status=status,
        create_time=from_unix(at),
        update_time=from_unix(updated),
    )


SUCCESS, COMPLETE = "CANCELLATION_REQUEST_SUCCESS", "CANCELLATION_REQUEST_COMPLETE"
PENDING, CLOSED, CLOSED_TOO = (
    "CANCELLATION_REQUEST_PENDING",
    "CANCELLATION_REQUEST_CANCELLED",
    "CANCELLATION_REQUEST_CANCEL",
)


@pytest.mark.parametrize(
    ("records", "chosen"),
    [
        ([], None),
        ([record(CLOSED)], "c-" + CLOSED),
        # a buyer request that was closed, then a system cancel: the cancel explains it
        ([record(CLOSED, at=1), record(SUCCESS, at=2)], "c-" + SUCCESS),
        ([record(SUCCESS, at=2), record(CLOSED, at=3)], "c-" + SUCCESS),
        ([record(CLOSED_TOO, at=5), record(COMPLETE, at=1)], "c-" + COMPLETE),
        ([record(PENDING, at=9), record(COMPLETE, at=1)], "c-" + COMPLETE),
        ([record(CLOSED, at=9), record(PENDING, at=1)], "c-" + PENDING),
        ([record(CLOSED, at=9), record(None, at=1)], "c-None"),
        ([record(None, at=9), record(PENDING, at=1)], "c-" + PENDING),
        # equals: the latest wins, by update time before create time, then by position
        (
            [
                record(SUCCESS, at=1, cancel_id="a", updated=9),
                record(COMPLETE, at=5, cancel_id="b"),
            ],
            "a",
        ),
        ([record(SUCCESS, cancel_id="a"), record(SUCCESS, cancel_id="b")], "b"),
    ],
)
def test_effective_cancellation_prefers_what_happened(records, chosen):
    found = effective_cancellation(records)
    assert (found.cancel_id if found else None) == chosen


def test_effective_cancellations_picks_one_record_per_order():
    records = [
        record(CLOSED, order_id="1", at=1, cancel_id="1-closed"),
        record(SUCCESS, order_id="2", at=1, cancel_id="2-ok"),
        record(SUCCESS, order_id="1", at=2, cancel_id="1-ok"),
        record(CLOSED, order_id="2", at=3, cancel_id="2-closed"),
    ]
    chosen = effective_cancellations(records)
    assert {order: c.cancel_id for order, c in chosen.items()} == {"1": "1-ok", "2": "2-ok"}


def test_search_cancellations_keeps_readable_records_and_update_times(caplog):
    records = [
        {"cancel_id": "c-1", "cancel_status": SUCCESS},  # no order id: cannot be attributed
        {"order_id": "5001", "cancel_status": SUCCESS, "update_time": 1740900100},
        "junk",
    ]
    api = FakeApi({CANCEL_SEARCH: [ok({"cancellations": records, "next_page_token": ""})]})
    client, _, _ = tiktok_client(api)
    with caplog.at_level(logging.WARNING, logger="sync.tiktok"):
        (found,) = client.search_cancellations(order_ids=["5001"])
    assert (found.order_id, found.cancel_id) == ("5001", "")
    assert found.update_time == from_unix(1740900100)
    assert "cancellation.order_id is missing" in caplog.text
