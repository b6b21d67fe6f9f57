import json
import logging
from datetime import timedelta
from urllib.parse import parse_qsl

import httpx
import pytest

from sync.errors import AuthFailed, Rejected, Unavailable
from sync.tokens import Tokens
from tests.utils.clients import KEYSTRING, NOW, SHOP_ID, etsy_client
from tests.utils.fakes import FakeApi

TOKEN = "/v3/public/oauth/token"
LISTINGS = f"/v3/application/shops/{SHOP_ID}/listings"
INVENTORY = "/v3/application/listings/77/inventory"
INVENTORY_JSON = {
    "products": [],
    "price_on_property": [],
    "quantity_on_property": [],
    "sku_on_property": [],
}


def answer(status=200, body=None, headers=None):
    return lambda request: httpx.Response(status, json=body, headers=headers)


def form(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.content.decode()))


def test_every_call_carries_the_key_and_secret_and_the_bearer_token():
    api = FakeApi({INVENTORY: [answer(body=INVENTORY_JSON)]})
    client, _, _ = etsy_client(api)
    assert client.get_inventory(77) == INVENTORY_JSON
    (request,) = api.requests
    assert request.headers["x-api-key"] == "keystring1:shh"
    assert request.headers["authorization"] == "Bearer 12345.access-1"


def test_401_refreshes_resends_and_persists_the_rotated_refresh_token():
    refreshed = {
        "access_token": "12345.access-2",
        "token_type": "Bearer",
        "expires_in": 3600,  # a duration
        "refresh_token": "12345.refresh-2",
    }
    api = FakeApi(
        {
            INVENTORY: [answer(401, {"error": "invalid_token"}), answer(body=INVENTORY_JSON)],
            TOKEN: [answer(body=refreshed)],
        }
    )
    client, _, store = etsy_client(api)
    client.get_inventory(77)
    (refresh,) = api.to(TOKEN)
    assert refresh.method == "POST"
    assert refresh.url == "https://openapi.etsy.com/v3/public/oauth/token"
    assert refresh.headers["x-api-key"] == "keystring1:shh"
    assert "authorization" not in refresh.headers
    assert form(refresh) == {
        "grant_type": "refresh_token",
        "client_id": KEYSTRING,
        "refresh_token": "12345.refresh-1",
    }
    assert api.to(INVENTORY)[1].headers["authorization"] == "Bearer 12345.access-2"
    saved = store.load()
    assert (saved.access_token, saved.refresh_token) == ("12345.access-2", "12345.refresh-2")
    assert saved.access_expires_at == NOW + timedelta(hours=1)


def test_an_expired_token_is_refreshed_before_the_call():
    refreshed = {"access_token": "12345.access-2", "expires_in": 3600, "refresh_token": "r-2"}
    api = FakeApi({INVENTORY: [answer(body=INVENTORY_JSON)], TOKEN: [answer(body=refreshed)]})
    client, _, _ = etsy_client(api, expires=NOW - timedelta(seconds=1))
    client.get_inventory(77)
    assert [r.url.path for r in api.requests] == [TOKEN, INVENTORY]


def test_a_refused_refresh_is_auth_failed():
    api = FakeApi(
        {
            INVENTORY: [answer(401, {"error": "invalid_token"})],
            TOKEN: [answer(400, {"error": "invalid_grant", "error_description": "expired"})],
        }
    )
    client, _, _ = etsy_client(api)
    with pytest.raises(AuthFailed, match="invalid_grant: expired"):
        client.get_inventory(77)


def test_still_refused_after_a_refresh_is_auth_failed():
    refreshed = {"access_token": "12345.access-2", "expires_in": 3600, "refresh_token": "r-2"}
    api = FakeApi(
        {INVENTORY: [answer(401, {"error": "invalid_token"})], TOKEN: [answer(body=refreshed)]}
    )
    client, _, _ = etsy_client(api)
    with pytest.raises(AuthFailed) as raised:
        client.get_inventory(77)
    assert (raised.value.status, raised.value.message) == (401, "invalid_token")
    assert (len(api.to(TOKEN)), len(api.to(INVENTORY))) == (1, 2)


@pytest.mark.parametrize("header", ["x-remaining-this-second", "x-remaining-this-secon"])
def test_a_spent_per_second_quota_makes_the_next_call_wait(header):
    api = FakeApi({INVENTORY: [answer(body=INVENTORY_JSON, headers={header: "0"})]})
    client, time, _ = etsy_client(api)
    client.get_inventory(77)
    assert time.sleeps == []
    client.get_inventory(77)
    assert time.sleeps == [1.0]


def test_429_honours_retry_after():
    api = FakeApi(
        {
            INVENTORY: [
                answer(429, {"error": "rate limited"}, {"retry-after": "3"}),
                answer(body=INVENTORY_JSON),
            ]
        }
    )
    client, time, _ = etsy_client(api)
    client.get_inventory(77)
    assert time.sleeps == [3.0]


def test_a_listing_being_edited_elsewhere_is_retried():
    busy = {"error": "The listing is being edited by another process, please try again"}
    api = FakeApi({INVENTORY: [answer(409, busy), answer(body=INVENTORY_JSON)]})
    client, time, _ = etsy_client(api)
    assert client.update_inventory(77, INVENTORY_JSON) == INVENTORY_JSON
    assert len(api.requests) == 2
    assert time.sleeps == [0.5]


@pytest.mark.parametrize(
    ("status", "message"),
    [(400, "quantity must be an integer"), (404, "Listing not found"), (409, "SKU conflict")],
)
def test_refusals_are_rejected_with_etsys_message(status, message):
    api = FakeApi({INVENTORY: [answer(status, {"error": message})]})
    client, _, _ = etsy_client(api)
    with pytest.raises(Rejected) as raised:
        client.update_inventory(77, INVENTORY_JSON)
    assert (raised.value.platform, raised.value.status, raised.value.message) == (
        "etsy",
        status,
        message,
    )
    assert len(api.requests) == 1


def test_an_answer_without_products_is_never_returned_as_an_inventory():
    api = FakeApi({INVENTORY: [answer(body={"error": None})]})
    client, _, _ = etsy_client(api)
    with pytest.raises(Unavailable, match="without a products list"):
        client.get_inventory(77)


def test_update_inventory_puts_json_and_returns_the_new_inventory():
    new = {**INVENTORY_JSON, "products": [{"product_id": 2}]}
    api = FakeApi({INVENTORY: [answer(body=new)]})
    client, _, _ = etsy_client(api)
    body = {**INVENTORY_JSON, "products": [{"sku": "A", "offerings": []}]}
    assert client.update_inventory(77, body) == new
    (request,) = api.requests
    assert request.method == "PUT"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == body


def test_deactivate_listing_patches_the_state():
    path = f"/v3/application/shops/{SHOP_ID}/listings/77"
    api = FakeApi({path: [answer(body={"listing_id": 77, "state": "inactive"})]})
    client, _, _ = etsy_client(api)
    client.deactivate_listing(77)
    (request,) = api.requests
    assert request.method == "PATCH"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert form(request) == {"state": "inactive"}


def listings_route(count: int):
    def respond(request):
        params = request.url.params
        offset, limit = int(params["offset"]), int(params["limit"])
        results = [{"listing_id": n} for n in range(offset, min(offset + limit, count))]
        return httpx.Response(200, json={"count": count, "results": results})

    return respond


def test_listing_pages_follow_offsets_until_the_count_is_reached():
    api = FakeApi({LISTINGS: [listings_route(250)]})
    client, _, _ = etsy_client(api)
    pages = list(client.iter_listing_pages(state="sold_out"))
    assert [len(page) for page in pages] == [100, 100, 50]
    assert [dict(r.url.params) for r in api.requests][0] == {
        "state": "sold_out",
        "limit": "100",
        "offset": "0",
        "includes": "Inventory",
    }
    assert [r.url.params["offset"] for r in api.requests] == ["0", "100", "200"]


def test_listing_pages_stop_at_etsys_offset_limit_and_say_so(caplog):
    api = FakeApi({LISTINGS: [listings_route(13000)]})
    client, _, _ = etsy_client(api)
    with caplog.at_level(logging.WARNING, logger="sync.etsy.client"):
        pages = list(client.iter_listing_pages())
    offsets = [int(r.url.params["offset"]) for r in api.requests]
    assert offsets[-1] == 12000 and len(pages) == 121
    assert "12000" in caplog.text


def test_403_is_a_refusal_of_this_request_not_bad_credentials():
    refused = {"error": "You do not have permission to modify this listing"}
    api = FakeApi({INVENTORY: [answer(403, refused)]})
    client, time, _ = etsy_client(api)
    with pytest.raises(Rejected) as raised:
        client.update_inventory(77, INVENTORY_JSON)
    assert not isinstance(raised.value, AuthFailed)
    assert (raised.value.status, raised.value.message) == (403, refused["error"])
    assert [r.url.path for r in api.requests] == [INVENTORY]  # no refresh, no retry
    assert time.sleeps == []


def test_a_refresh_answered_403_is_still_auth_failed():
    api = FakeApi(
        {
            INVENTORY: [answer(401, {"error": "invalid_token"})],
            TOKEN: [answer(403, {"error": "no"})],
        }
    )
    client, _, _ = etsy_client(api)
    with pytest.raises(AuthFailed, match="token refresh refused: no"):
        client.get_inventory(77)


def test_429_waits_an_etsy_sized_retry_after():
    api = FakeApi(
        {
            INVENTORY: [
                answer(429, {"error": "rate limited"}, {"retry-after": "45"}),
                answer(body=INVENTORY_JSON),
            ]
        }
    )
    client, time, _ = etsy_client(api)
    client.get_inventory(77)
    assert time.sleeps == [45.0]


def test_429_with_an_http_date_counts_from_the_clients_clock():
    when = {"retry-after": "Sat, 01 Mar 2025 12:00:07 GMT"}  # NOW + 7 s
    api = FakeApi(
        {INVENTORY: [answer(429, {"error": "slow down"}, when), answer(body=INVENTORY_JSON)]}
    )
    client, time, _ = etsy_client(api)
    client.get_inventory(77)
    assert time.sleeps == [7.0]


def test_a_retry_after_longer_than_two_minutes_is_unavailable_at_once():
    api = FakeApi({INVENTORY: [answer(429, {"error": "daily quota"}, {"retry-after": "3600"})]})
    client, time, _ = etsy_client(api)
    with pytest.raises(Unavailable, match="retry after 3600s"):
        client.get_inventory(77)
    assert len(api.requests) == 1 and time.sleeps == []


LISTING = f"/v3/application/shops/{SHOP_ID}/listings/77"


@pytest.mark.parametrize("status", [404, 405])
def test_deactivate_listing_falls_back_to_the_2021_specs_put(status):
    api = FakeApi(
        {LISTING: [answer(status, {"error": "Not found"}), answer(body={"listing_id": 77})]}
    )
    client, _, _ = etsy_client(api)
    client.deactivate_listing(77)
    patch, put = api.requests
    assert (patch.method, put.method) == ("PATCH", "PUT")
    assert put.headers["content-type"] == "application/x-www-form-urlencoded"
    assert form(put) == form(patch) == {"state": "inactive"}
    assert put.headers["authorization"] == "Bearer 12345.access-1"


def test_deactivate_listing_does_not_fall_back_on_other_refusals():
    api = FakeApi({LISTING: [answer(400, {"error": "state cannot be inactive"})]})
    client, _, _ = etsy_client(api)
    with pytest.raises(Rejected, match="state cannot be inactive"):
        client.deactivate_listing(77)
    assert [r.method for r in api.requests] == ["PATCH"]


def test_deactivate_listing_put_refused_too_is_rejected_once():
    api = FakeApi({LISTING: [answer(404, {"error": "Listing not found"})]})
    client, _, _ = etsy_client(api)
    with pytest.raises(Rejected, match="Listing not found"):
        client.deactivate_listing(77)
    assert [r.method for r in api.requests] == ["PATCH", "PUT"]


def test_an_empty_listing_page_before_the_count_stops_with_a_warning(caplog):
    def respond(request):
        offset = int(request.url.params["offset"])
        results = [{"listing_id": n} for n in range(offset, min(offset + 100, 150))]
        return httpx.Response(200, json={"count": 400, "results": results})  # count overstated

    api = FakeApi({LISTINGS: [respond]})
    client, _, _ = etsy_client(api)
    with caplog.at_level(logging.WARNING, logger="sync.etsy.client"):
        pages = list(client.iter_listing_pages())
    assert [len(page) for page in pages] == [100, 50]
    assert [r.url.params["offset"] for r in api.requests] == ["0", "100", "150"]
    assert "came back empty" in caplog.text and "400" in caplog.text


def test_short_listing_pages_are_followed_until_the_count():
    def respond(request):  # Etsy serving at most 25, whatever the limit asked
        offset = int(request.url.params["offset"])
        results = [{"listing_id": n} for n in range(offset, min(offset + 25, 60))]
        return httpx.Response(200, json={"count": 60, "results": results})

    api = FakeApi({LISTINGS: [respond]})
    client, _, _ = etsy_client(api)
    pages = list(client.iter_listing_pages())
    assert [len(page) for page in pages] == [25, 25, 10]
    assert [r.url.params["offset"] for r in api.requests] == ["0", "25", "50"]


# --- token refresh margin -------------------------------------------------------------------


def test_tokens_shorter_lived_than_the_margin_are_not_refreshed_on_every_call():
    refreshed = {"access_token": "12345.access-2", "expires_in": 120, "refresh_token": "r-2"}
    api = FakeApi(
        {
            INVENTORY: [answer(401, {"error": "invalid_token"}), answer(body=INVENTORY_JSON)],
            TOKEN: [answer(body=refreshed)],
        }
    )
    client, _, _ = etsy_client(api)
    for _ in range(3):
        client.get_inventory(77)
    assert len(api.to(TOKEN)) == 1
    assert len(api.to(INVENTORY)) == 4


def test_a_stored_token_close_to_expiry_is_refreshed_once_before_the_call():
    refreshed = {"access_token": "12345.access-2", "expires_in": 3600, "refresh_token": "r-2"}
    api = FakeApi({INVENTORY: [answer(body=INVENTORY_JSON)], TOKEN: [answer(body=refreshed)]})
    client, _, store = etsy_client(api, expires=NOW + timedelta(minutes=4))
    client.get_inventory(77)
    client.get_inventory(77)
    assert [r.url.path for r in api.requests] == [TOKEN, INVENTORY, INVENTORY]
    assert store.load().issued_at == NOW


@pytest.mark.parametrize(
    ("issued", "expires", "now", "due"),
    [
        # no issue time (loaded at start): the plain 5-minute margin
        (None, NOW + timedelta(minutes=6), NOW, False),
        (None, NOW + timedelta(minutes=4), NOW, True),
        (None, None, NOW, False),
        # a 1-hour token: 5 minutes, the smaller of 5 min and 6 min
        (NOW, NOW + timedelta(hours=1), NOW + timedelta(minutes=54), False),
        (NOW, NOW + timedelta(hours=1), NOW + timedelta(minutes=55), True),
        # a 2-minute token: a tenth of its life, 12 s
        (NOW, NOW + timedelta(minutes=2), NOW + timedelta(seconds=107), False),
        (NOW, NOW + timedelta(minutes=2), NOW + timedelta(seconds=108), True),
        # expired on arrival (the platform's clock behind ours): the platform decides
        (NOW, NOW - timedelta(seconds=1), NOW + timedelta(hours=1), False),
        (NOW, NOW, NOW, False),
    ],
)
def test_access_due(issued, expires, now, due):
    tokens = Tokens("a", "r", expires, issued_at=issued)
    assert tokens.access_due(now, timedelta(minutes=5)) is due


def test_a_spent_quota_waits_only_until_its_second_is_over():
    # Ten calls paced 0.1 s apart by the client's own limiter spend a quota of 10: the first
    # of them was answered 0.9 s ago, so the quota is back 0.1 s from now, not 1 s.
    spent = {"x-limit-per-second": "10", "x-remaining-this-second": "0"}
    fresh = {"x-limit-per-second": "10", "x-remaining-this-second": "5"}
    answers = [answer(body=INVENTORY_JSON, headers=fresh)] * 9 + [
        answer(body=INVENTORY_JSON, headers=spent)
    ]
    api = FakeApi({INVENTORY: answers + [answer(body=INVENTORY_JSON, headers=fresh)]})
    client, time, _ = etsy_client(api, rate_per_s=10)
    for _ in range(11):
        client.get_inventory(77)
    assert time.sleeps[:9] == [0.1] * 9
    assert time.sleeps[9] == pytest.approx(0.1)  # until the spent second is over
    assert time.now == pytest.approx(1.0)
