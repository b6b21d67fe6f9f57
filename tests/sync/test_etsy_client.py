import json
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

import httpx
import pytest
from test_http import CeilingRandom, FakeApi, FakeTime

from sync.errors import AuthFailed, Rejected, Unavailable
from sync.etsy import EtsyClient
from sync.tokens import MemoryTokenStore, Tokens

KEYSTRING, SHARED_SECRET, SHOP_ID = "keystring1", "shh", 555
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
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


def make_client(api: FakeApi, *, expires=NOW + timedelta(minutes=50), **kwargs):
    time = FakeTime()
    store = MemoryTokenStore(Tokens("12345.access-1", "12345.refresh-1", expires))
    client = EtsyClient(
        api_key=KEYSTRING,
        shared_secret=SHARED_SECRET,
        tokens=store,
        shop_id=SHOP_ID,
        transport=httpx.MockTransport(api),
        clock=lambda: NOW,
        sleep=time.sleep,
        monotonic=time.monotonic,
        rng=CeilingRandom(),
        **kwargs,
    )
    return client, time, store


def form(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.content.decode()))


def test_every_call_carries_the_key_and_secret_and_the_bearer_token():
    api = FakeApi({INVENTORY: [answer(body=INVENTORY_JSON)]})
    client, _, _ = make_client(api)
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
    client, _, store = make_client(api)
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
    client, _, _ = make_client(api, expires=NOW - timedelta(seconds=1))
    client.get_inventory(77)
    assert [r.url.path for r in api.requests] == [TOKEN, INVENTORY]


def test_a_refused_refresh_is_auth_failed():
    api = FakeApi(
        {
            INVENTORY: [answer(401, {"error": "invalid_token"})],
            TOKEN: [answer(400, {"error": "invalid_grant", "error_description": "expired"})],
        }
    )
    client, _, _ = make_client(api)
    with pytest.raises(AuthFailed, match="invalid_grant: expired"):
        client.get_inventory(77)


def test_still_refused_after_a_refresh_is_auth_failed():
    refreshed = {"access_token": "12345.access-2", "expires_in": 3600, "refresh_token": "r-2"}
    api = FakeApi(
        {INVENTORY: [answer(401, {"error": "invalid_token"})], TOKEN: [answer(body=refreshed)]}
    )
    client, _, _ = make_client(api)
    with pytest.raises(AuthFailed) as raised:
        client.get_inventory(77)
    assert (raised.value.status, raised.value.message) == (401, "invalid_token")
    assert (len(api.to(TOKEN)), len(api.to(INVENTORY))) == (1, 2)


@pytest.mark.parametrize("header", ["x-remaining-this-second", "x-remaining-this-secon"])
def test_a_spent_per_second_quota_makes_the_next_call_wait(header):
    api = FakeApi({INVENTORY: [answer(body=INVENTORY_JSON, headers={header: "0"})]})
    client, time, _ = make_client(api)
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
    client, time, _ = make_client(api)
    client.get_inventory(77)
    assert time.sleeps == [3.0]


def test_a_listing_being_edited_elsewhere_is_retried():
    busy = {"error": "The listing is being edited by another process, please try again"}
    api = FakeApi({INVENTORY: [answer(409, busy), answer(body=INVENTORY_JSON)]})
    client, time, _ = make_client(api)
    assert client.update_inventory(77, INVENTORY_JSON) == INVENTORY_JSON
    assert len(api.requests) == 2
    assert time.sleeps == [0.5]


@pytest.mark.parametrize(
    ("status", "message"),
    [(400, "quantity must be an integer"), (404, "Listing not found"), (409, "SKU conflict")],
)
def test_refusals_are_rejected_with_etsys_message(status, message):
    api = FakeApi({INVENTORY: [answer(status, {"error": message})]})
    client, _, _ = make_client(api)
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
    client, _, _ = make_client(api)
    with pytest.raises(Unavailable, match="without a products list"):
        client.get_inventory(77)


def test_update_inventory_puts_json_and_returns_the_new_inventory():
    new = {**INVENTORY_JSON, "products": [{"product_id": 2}]}
    api = FakeApi({INVENTORY: [answer(body=new)]})
    client, _, _ = make_client(api)
    body = {**INVENTORY_JSON, "products": [{"sku": "A", "offerings": []}]}
    assert client.update_inventory(77, body) == new
    (request,) = api.requests
    assert request.method == "PUT"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == body


def test_deactivate_listing_patches_the_state():
    path = f"/v3/application/shops/{SHOP_ID}/listings/77"
    api = FakeApi({path: [answer(body={"listing_id": 77, "state": "inactive"})]})
    client, _, _ = make_client(api)
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
    client, _, _ = make_client(api)
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
    client, _, _ = make_client(api)
    with caplog.at_level(logging.WARNING, logger="sync.etsy.client"):
        pages = list(client.iter_listing_pages())
    offsets = [int(r.url.params["offset"]) for r in api.requests]
    assert offsets[-1] == 12000 and len(pages) == 121
    assert "12000" in caplog.text
