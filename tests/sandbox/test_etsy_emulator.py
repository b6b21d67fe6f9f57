"""The Etsy emulator over loopback HTTP with plain httpx, checked against the reference's rules."""

import copy
import hashlib
import json
from base64 import urlsafe_b64encode

import httpx
import pytest

from sandbox.etsy import EtsySandbox
from sandbox.etsy.ratelimit import RateLimiter
from sandbox.seed import make_catalog

KEY = "sandboxkeystring:sandboxsecret"
SHOP = 5550001
LISTINGS = f"/v3/application/shops/{SHOP}/listings"
TOKEN = "/v3/public/oauth/token"
CATALOG = make_catalog(seed=3, n_listings=40)
WOOD = CATALOG.case_listings["shared_sku_same_qty"][0]
SOLD_OUT = CATALOG.case_listings["sold_out"][0]
POOL = CATALOG.case_listings["shared_quantity_pool"][0]
READ_ONLY = {"product_id", "offering_id", "is_deleted", "scale_name", "value_pairs"}


@pytest.fixture(scope="module")
def server():
    sandbox = EtsySandbox(rate_per_s=100_000).start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def etsy(server):
    server.load_catalog(CATALOG.listings)
    server.faults.clear()
    server.reset_calls()
    server.zero_stock_policy = "accept"
    server.renew_product_ids = True
    server.update_listing_methods = ("PATCH", "PUT")
    server.accept_keystring_only = False
    server.clock.set_offset(0)
    return server


@pytest.fixture
def api(etsy):
    access = etsy.issue_tokens()["access_token"]
    headers = {"x-api-key": KEY, "authorization": f"Bearer {access}"}
    with httpx.Client(base_url=etsy.url, headers=headers) as client:
        yield client


def inventory(api, listing_id: int) -> dict:
    response = api.get(f"/v3/application/listings/{listing_id}/inventory")
    assert response.status_code == 200, response.text
    return response.json()


def put_body(got: dict) -> dict:
    """What a careful client sends back: read-only fields stripped, prices as decimals."""

    def strip(value):
        if isinstance(value, dict):
            if set(value) == {"amount", "divisor", "currency_code"}:
                return value["amount"] / value["divisor"]
            return {k: strip(v) for k, v in value.items() if k not in READ_ONLY}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(got)


def put(api, listing_id: int, body: dict) -> httpx.Response:
    return api.put(f"/v3/application/listings/{listing_id}/inventory", json=body)


# --- app key and OAuth ---


def test_app_key_must_be_keystring_colon_secret(etsy):
    ping = f"{etsy.url}/v3/application/openapi-ping"
    assert httpx.get(ping).status_code == 401
    bare = httpx.get(ping, headers={"x-api-key": "sandboxkeystring"})
    assert bare.status_code == 403 and "keystring:shared_secret" in bare.json()["error"]
    assert httpx.get(ping, headers={"x-api-key": "sandboxkeystring:wrong"}).status_code == 403
    good = httpx.get(ping, headers={"x-api-key": KEY})
    assert good.status_code == 200 and good.json() == {"application_id": 1_234_567}
    etsy.accept_keystring_only = True
    assert httpx.get(ping, headers={"x-api-key": "sandboxkeystring"}).status_code == 200


def test_refresh_rotates_and_the_old_refresh_token_stops_working(etsy, api):
    first = etsy.issue_tokens()
    form = {"grant_type": "refresh_token", "client_id": "sandboxkeystring"}
    renewed = api.post(TOKEN, data={**form, "refresh_token": first["refresh_token"]})
    assert renewed.status_code == 200
    tokens = renewed.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert tokens["access_token"].startswith("777001.")
    assert tokens["refresh_token"].startswith("777001.")
    assert tokens["refresh_token"] != first["refresh_token"]
    again = api.post(TOKEN, data={**form, "refresh_token": first["refresh_token"]})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    me = api.get(
        "/v3/application/users/me", headers={"authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.json() == {"user_id": 777001, "shop_id": SHOP}


def test_token_endpoint_refuses_a_foreign_client_and_json(etsy, api):
    refresh = etsy.issue_tokens()["refresh_token"]
    form = {"grant_type": "refresh_token", "refresh_token": refresh}
    assert api.post(TOKEN, data={**form, "client_id": "other"}).json()["error"] == "invalid_client"
    as_json = api.post(TOKEN, json={**form, "client_id": "sandboxkeystring"})
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"


def test_authorization_code_needs_the_matching_pkce_verifier(etsy, api):
    verifier = "v" * 43
    challenge = urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    form = {"grant_type": "authorization_code", "client_id": "sandboxkeystring"}
    wrong = api.post(
        TOKEN, data={**form, "code": etsy.issue_code(challenge), "code_verifier": "w" * 43}
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    code = etsy.issue_code(challenge)
    good = api.post(TOKEN, data={**form, "code": code, "code_verifier": verifier})
    assert good.status_code == 200 and good.json()["access_token"].startswith("777001.")
    reused = api.post(TOKEN, data={**form, "code": code, "code_verifier": verifier})
    assert reused.status_code == 400


@pytest.mark.parametrize("how", ["expire_all", "clock"])
def test_an_expired_access_token_gets_401_invalid_token(etsy, api, how):
    assert api.get("/v3/application/users/me").status_code == 200
    if how == "expire_all":
        etsy.expire_access_tokens()
    else:
        etsy.clock.advance(3600)
    response = api.get("/v3/application/users/me")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token" and "expired" in response.text


def test_unknown_or_missing_token_gets_401_invalid_token(etsy, api):
    unknown = api.get(LISTINGS, headers={"authorization": "Bearer 777001.nope"})
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_token"
    missing = httpx.get(f"{etsy.url}{LISTINGS}", headers={"x-api-key": KEY})
    assert missing.status_code == 401 and missing.json()["error"] == "invalid_token"


# --- listings ---


def test_paging_250_listings_by_100_sees_each_active_one_once(etsy, api):
    catalog = make_catalog(seed=5, n_listings=250)
    etsy.load_catalog(catalog.listings)
    active = {item["listing_id"] for item in catalog.listings if item["state"] == "active"}
    seen = []
    for offset in (0, 100, 200):
        page = api.get(LISTINGS, params={"limit": 100, "offset": offset}).json()
        assert page["count"] == len(active)
        seen += [item["listing_id"] for item in page["results"]]
    assert len(seen) == len(set(seen)) == len(active) and set(seen) == active
    sold_out = api.get(LISTINGS, params={"state": "sold_out"}).json()
    assert [item["listing_id"] for item in sold_out["results"]] == catalog.case_listings["sold_out"]
    assert sold_out["results"][0]["quantity"] == 0


def test_default_order_is_newest_first_and_asc_reverses_it(etsy, api):
    newest = api.get(LISTINGS, params={"limit": 5}).json()["results"]
    created = [item["creation_timestamp"] for item in newest]
    assert created == sorted(created, reverse=True)
    oldest = api.get(LISTINGS, params={"limit": 5, "sort_order": "asc"}).json()["results"]
    ascending = [item["creation_timestamp"] for item in oldest]
    assert ascending == sorted(ascending) and ascending[-1] < created[-1]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"limit": "ten"},
        {"offset": 12_001},
        {"state": "removed"},
        {"includes": "Inventory,Nonsense"},
        {"sort_on": "sku"},
        {"sort_order": "sideways"},
    ],
)
def test_bad_listing_parameters_get_400(api, params):
    response = api.get(LISTINGS, params=params)
    assert response.status_code == 400 and response.json()["error"]


def test_includes_inventory_attaches_the_listing_inventory(api):
    bare = api.get(LISTINGS, params={"limit": 100}).json()["results"]
    assert all("inventory" not in item for item in bare)
    results = api.get(LISTINGS, params={"limit": 100, "includes": "Inventory"}).json()["results"]
    wood = next(item for item in results if item["listing_id"] == WOOD)
    assert wood["inventory"] == inventory(api, WOOD)
    assert wood["skus"] == ["woodthing1", "woodthing2", "woodthing3"]
    assert wood["has_variations"] is True
    products = wood["inventory"]["products"]
    assert wood["quantity"] == sum(p["offerings"][0]["quantity"] for p in products)
    amounts = [p["offerings"][0]["price"]["amount"] for p in products]
    assert wood["price"] == {"amount": min(amounts), "divisor": 100, "currency_code": "USD"}


def test_get_listing_shows_skus_only_to_the_owner(etsy, api):
    anonymous = httpx.get(f"{etsy.url}/v3/application/listings/{WOOD}", headers={"x-api-key": KEY})
    assert anonymous.status_code == 200 and anonymous.json()["skus"] == []
    assert api.get(f"/v3/application/listings/{WOOD}").json()["skus"][0] == "woodthing1"
    assert api.get("/v3/application/listings/999").status_code == 404
    assert api.get("/v3/application/listings/abc").status_code == 400
    assert api.get("/v3/application/shops/1/listings").status_code == 404


def test_batch_takes_up_to_100_ids(api):
    ids = [item["listing_id"] for item in CATALOG.listings[:3]]
    batch = api.get(
        "/v3/application/listings/batch",
        params={"listing_ids": ",".join(map(str, ids)), "includes": "Inventory"},
    ).json()
    assert [item["listing_id"] for item in batch["results"]] == ids
    assert all("inventory" in item for item in batch["results"])
    too_many = ",".join(str(n) for n in range(1, 102))
    assert (
        api.get("/v3/application/listings/batch", params={"listing_ids": too_many}).status_code
        == 400
    )


# --- updateListingInventory ---


def _drop_product(body, got):
    body["products"].pop()


def _extra_product(body, got):
    twin = copy.deepcopy(body["products"][0])
    twin["property_values"][0]["values"] = ["Teak"]
    body["products"].append(twin)


def _keep_product_id(body, got):
    body["products"][0]["product_id"] = got["products"][0]["product_id"]


def _keep_offering_id(body, got):
    body["products"][0]["offerings"][0]["offering_id"] = got["products"][0]["offerings"][0][
        "offering_id"
    ]


def _keep_scale_name(body, got):
    body["products"][0]["property_values"][0]["scale_name"] = None


def _money_price(body, got):
    body["products"][0]["offerings"][0]["price"] = got["products"][0]["offerings"][0]["price"]


def _split_shared_sku(body, got):
    # woodthing3 is on three products under quantity_on_property + sku_on_property: move one only.
    product = next(p for p in body["products"] if p["sku"] == "woodthing3")
    product["offerings"][0]["quantity"] -= 1


def _parentheses(body, got):
    for product in body["products"]:
        for pv in product["property_values"]:
            pv["values"] = [f"{pv['values'][0]} (new)"]


def _negative_quantity(body, got):
    body["products"][0]["offerings"][0]["quantity"] = -1


def _third_property(body, got):
    for product in body["products"]:
        product["property_values"].append(
            {"property_id": 200, "value_ids": [1], "values": ["Red"], "property_name": "Color"}
        )


def _stray_on_property(body, got):
    body["quantity_on_property"] = [200]


@pytest.mark.parametrize(
    ("mutate", "says"),
    [
        (_drop_product, "missing"),
        (_extra_product, "unknown variation"),
        (_keep_product_id, "product_id is read-only"),
        (_keep_offering_id, "offering_id is read-only"),
        (_keep_scale_name, "scale_name is read-only"),
        (_money_price, "not a Money object"),
        (_split_shared_sku, "quantity_on_property"),
        (_parentheses, "parentheses"),
        (_negative_quantity, "quantity"),
        (_third_property, "at most 2"),
        (_stray_on_property, "quantity_on_property names property 200"),
    ],
)
def test_a_put_breaking_a_rule_is_refused_and_changes_nothing(etsy, api, mutate, says):
    got = inventory(api, WOOD)
    body = put_body(got)
    mutate(body, got)
    response = put(api, WOOD, body)
    assert response.status_code == 400
    assert says in response.json()["error"]
    assert inventory(api, WOOD) == got


def test_shared_sku_quantities_must_agree_even_across_properties(etsy, api):
    # Rule 5 alone: a SKU on one property with the quantity on both still needs one quantity.
    got = inventory(api, WOOD)
    body = put_body(got)
    body["quantity_on_property"] = [513, 514]
    body["products"][-1]["offerings"][0]["quantity"] += 1
    response = put(api, WOOD, body)
    assert response.status_code == 400 and "sharing sku woodthing3" in response.json()["error"]


def test_a_good_put_changes_only_the_intended_quantities_and_renews_ids(etsy, api):
    before_quantities = etsy.quantities()
    got = inventory(api, WOOD)
    body = put_body(got)
    for product in body["products"]:
        if product["sku"] == "woodthing3":
            product["offerings"][0]["quantity"] = 30
    response = put(api, WOOD, body)
    assert response.status_code == 200
    after = etsy.quantities()
    changed = {key for key in before_quantities if before_quantities[key] != after[key]}
    assert changed == {key for key in before_quantities if key[:2] == (WOOD, "woodthing3")}
    assert len(changed) == 3 and {after[key] for key in changed} == {30}
    new = response.json()
    assert new == inventory(api, WOOD)
    old_ids = {p["product_id"] for p in got["products"]}
    old_ids |= {o["offering_id"] for p in got["products"] for o in p["offerings"]}
    new_ids = {p["product_id"] for p in new["products"]}
    new_ids |= {o["offering_id"] for p in new["products"] for o in p["offerings"]}
    assert not old_ids & new_ids and len(new_ids) == len(old_ids)
    assert put_body(new) == body  # prices, SKUs, properties and on_property lists kept
    assert etsy.listing(WOOD)["quantity"] == sum(after[key] for key in after if key[0] == WOOD)


def _ids(got: dict) -> list[int]:
    return [p["product_id"] for p in got["products"]] + [
        o["offering_id"] for p in got["products"] for o in p["offerings"]
    ]


def test_product_ids_can_be_kept_across_updates(etsy, api):
    control = httpx.Client(base_url=f"{etsy.url}/_sandbox")
    assert control.get("/config").json()["renew_product_ids"] is True  # SPEC §3, the default
    assert control.post("/config", json={"renew_product_ids": False}).status_code == 200
    assert etsy.renew_product_ids is False
    got = inventory(api, WOOD)
    body = put_body(got)
    for product in body["products"]:
        if product["sku"] == "woodthing3":
            product["offerings"][0]["quantity"] = 30
    new = put(api, WOOD, body).json()
    assert _ids(new) == _ids(got) and new == inventory(api, WOOD)
    levels = {
        q for (lid, sku, _), q in etsy.quantities().items() if (lid, sku) == (WOOD, "woodthing3")
    }
    assert levels == {30}
    assert control.post("/config", json={"renew_product_ids": "no"}).status_code == 400
    etsy.renew_product_ids = True
    renewed = put(api, WOOD, put_body(new)).json()
    assert not set(_ids(renewed)) & set(_ids(new))
    with EtsySandbox(renew_product_ids=False) as stable:
        assert stable.renew_product_ids is False


def _pool(got: dict) -> dict[str, int]:
    return {p["sku"]: p["offerings"][0]["quantity"] for p in got["products"]}


def test_a_shared_quantity_pool_moves_as_one(etsy, api):
    got = inventory(api, POOL)
    assert (got["sku_on_property"], got["quantity_on_property"]) == ([200], [])
    (level,) = set(_pool(got).values())
    body = put_body(got)
    body["products"][0]["offerings"][0]["quantity"] = level - 1  # one color only: refused
    refused = put(api, POOL, body)
    assert refused.status_code == 400 and "quantity_on_property" in refused.json()["error"]
    assert inventory(api, POOL) == got
    for product in body["products"]:
        product["offerings"][0]["quantity"] = level - 1
    assert put(api, POOL, body).status_code == 200
    assert set(_pool(inventory(api, POOL)).values()) == {level - 1}
    etsy.set_quantity(POOL, "MUG-POOL-RED", 5)  # a sale of one color draws on the one stock
    assert _pool(inventory(api, POOL)) == {"MUG-POOL-RED": 5, "MUG-POOL-BLUE": 5}


def test_forbidden_listings_refuse_inventory_updates_with_403(etsy, api):
    other = _simple_listing()["listing_id"]
    etsy.faults.forbid_listings = {WOOD}
    got = inventory(api, WOOD)  # reads still work
    response = put(api, WOOD, put_body(got))
    assert response.status_code == 403 and set(response.json()) == {"error"}
    assert inventory(api, WOOD) == got
    assert put(api, other, put_body(inventory(api, other))).status_code == 200
    no_token = httpx.put(
        f"{etsy.url}/v3/application/listings/{WOOD}/inventory",
        headers={"x-api-key": KEY},
        json=put_body(got),
    )
    assert no_token.status_code == 401  # the token is checked first
    etsy.faults.clear()
    assert put(api, WOOD, put_body(got)).status_code == 200


def test_deleted_listings_answer_404_by_id_but_stay_in_an_earlier_shop_read(etsy, api):
    body = put_body(inventory(api, WOOD))
    control = httpx.Client(base_url=f"{etsy.url}/_sandbox")
    faults = control.post("/faults", json={"deleted_listings": [WOOD]}).json()
    assert faults["deleted_listings"] == [WOOD] and faults["forbid_listings"] == []
    for response in (
        api.get(f"/v3/application/listings/{WOOD}"),
        api.get(f"/v3/application/listings/{WOOD}/inventory"),
        put(api, WOOD, body),
        api.patch(f"{LISTINGS}/{WOOD}", data={"state": "inactive"}),
    ):
        assert response.status_code == 404 and set(response.json()) == {"error"}
    batch = api.get("/v3/application/listings/batch", params={"listing_ids": f"{WOOD},{SOLD_OUT}"})
    assert [item["listing_id"] for item in batch.json()["results"]] == [SOLD_OUT]
    shop = api.get(LISTINGS, params={"limit": 100}).json()["results"]
    assert WOOD in {item["listing_id"] for item in shop}
    assert control.post("/faults", json={"deleted_listings": ["x"]}).status_code == 400
    assert control.post("/faults", json={"forbid_listings": 5}).status_code == 400
    assert control.delete("/faults").json()["deleted_listings"] == []
    assert put(api, WOOD, body).status_code == 200


def test_every_seeded_listing_survives_a_faithful_round_trip(etsy, api):
    before = etsy.quantities()
    for item in CATALOG.listings:
        response = put(api, item["listing_id"], put_body(inventory(api, item["listing_id"])))
        assert response.status_code == 200, (item["title"], response.text)
    assert etsy.quantities() == before


def test_put_needs_a_json_body(api):
    body = put_body(inventory(api, WOOD))
    response = api.put(
        f"/v3/application/listings/{WOOD}/inventory", data={"products": json.dumps(body)}
    )
    assert response.status_code == 400


def _simple_listing() -> dict:
    return next(
        item
        for item in CATALOG.listings
        if item["inventory"]["products"][0]["sku"] in CATALOG.cases["unique"]
        and len(item["inventory"]["products"]) == 1
    )


@pytest.mark.parametrize("policy", ["accept", "reject"])
def test_zero_stock_policy(etsy, api, policy):
    etsy.zero_stock_policy = policy
    listing_id = _simple_listing()["listing_id"]
    got = inventory(api, listing_id)
    body = put_body(got)
    body["products"][0]["offerings"][0]["quantity"] = 0
    response = put(api, listing_id, body)
    if policy == "reject":
        assert response.status_code == 400 and inventory(api, listing_id) == got
        assert etsy.listing(listing_id)["state"] == "active"
    else:
        assert response.status_code == 200
        listing = etsy.listing(listing_id)
        assert listing["state"] == "sold_out" and listing["quantity"] == 0
        active = api.get(LISTINGS, params={"limit": 100}).json()["results"]
        assert listing_id not in {item["listing_id"] for item in active}


def test_restocking_a_sold_out_listing_leaves_it_sold_out(etsy, api):
    body = put_body(inventory(api, SOLD_OUT))
    body["products"][0]["offerings"][0]["quantity"] = 4
    assert put(api, SOLD_OUT, body).status_code == 200
    listing = etsy.listing(SOLD_OUT)
    assert (listing["state"], listing["quantity"]) == ("sold_out", 4)


# --- updateListing ---


def test_update_listing_deactivates_and_reactivates(etsy, api):
    listing_id = _simple_listing()["listing_id"]
    path = f"{LISTINGS}/{listing_id}"
    before = etsy.listing(listing_id)
    assert api.patch(path, data={"state": "inactive"}).json()["state"] == "inactive"
    inactive = api.get(LISTINGS, params={"state": "inactive"}).json()["results"]
    assert [item["listing_id"] for item in inactive] == [listing_id]
    etsy.clock.advance(600)  # within the token's hour
    active = api.patch(path, data={"state": "active"}).json()
    assert active["state"] == "active" and active["quantity"] == before["quantity"]
    assert active["ending_timestamp"] > before["ending_timestamp"]  # activation renews
    assert api.patch(path, data={"state": "draft"}).status_code == 400


def test_update_listing_takes_the_2021_specs_put_and_todays_patch_by_default(etsy, api):
    listing_id = _simple_listing()["listing_id"]
    path = f"{LISTINGS}/{listing_id}"
    assert etsy.update_listing_methods == ("PATCH", "PUT")
    assert api.put(path, data={"state": "inactive"}).json()["state"] == "inactive"
    assert api.patch(path, data={"state": "active"}).json()["state"] == "active"


@pytest.mark.parametrize(("only", "refused"), [("PATCH", "PUT"), ("PUT", "PATCH")])
def test_update_listing_can_be_held_to_one_method(etsy, api, only, refused):
    listing_id = _simple_listing()["listing_id"]
    path = f"{LISTINGS}/{listing_id}"
    control = httpx.Client(base_url=f"{etsy.url}/_sandbox")
    settings = control.post("/config", json={"update_listing_methods": [only]}).json()
    assert settings["update_listing_methods"] == [only]
    no = api.request(refused, path, data={"state": "inactive"})
    assert no.status_code == 405 and no.json()["error"]
    assert etsy.listing(listing_id)["state"] == "active"
    assert api.request(only, path, data={"state": "inactive"}).json()["state"] == "inactive"
    for bad in ([], ["POST"], "PUT"):
        assert control.post("/config", json={"update_listing_methods": bad}).status_code == 400
    assert etsy.update_listing_methods == (only,)


def test_activating_a_sold_out_listing_sets_its_quantity_to_one(etsy, api):
    response = api.patch(f"{LISTINGS}/{SOLD_OUT}", data={"state": "active"})
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["quantity"]) == ("active", 1)


def test_set_quantity_is_a_sale_that_keeps_product_ids(etsy, api):
    listing_id = _simple_listing()["listing_id"]
    got = inventory(api, listing_id)
    etsy.set_quantity(listing_id, got["products"][0]["sku"], 0)
    now = inventory(api, listing_id)
    assert now["products"][0]["product_id"] == got["products"][0]["product_id"]
    assert now["products"][0]["offerings"][0]["quantity"] == 0
    assert etsy.listing(listing_id)["state"] == "sold_out"


# --- rate limits and faults ---


def test_rate_limit_headers_count_down_and_429_carries_retry_after():
    with EtsySandbox(rate_per_s=1000, per_day=3) as etsy:
        ping = f"{etsy.url}/v3/application/openapi-ping"
        left = []
        for _ in range(3):
            response = httpx.get(ping, headers={"x-api-key": KEY})
            assert response.headers["x-limit-per-second"] == "1000"
            assert response.headers["x-limit-per-day"] == "3"
            assert int(response.headers["x-remaining-this-second"]) < 1000
            left.append(int(response.headers["x-remaining-today"]))
        assert left == [2, 1, 0]
        refused = httpx.get(ping, headers={"x-api-key": KEY})
        assert refused.status_code == 429 and refused.json()["error"]
        assert 0 < int(refused.headers["retry-after"]) <= 25 * 3600
        etsy.clock.advance(int(refused.headers["retry-after"]))
        assert httpx.get(ping, headers={"x-api-key": KEY}).status_code == 200


def test_the_per_second_bucket_refills_after_a_second():
    tick = [50.0]
    limiter = RateLimiter(
        per_second=2, per_day=100, day_clock=lambda: 0.0, monotonic=lambda: tick[0]
    )
    assert limiter.take("key").allowed and limiter.take("key").allowed
    refused = limiter.take("key")
    assert not refused.allowed and refused.retry_after_s == 1
    assert refused.headers["x-remaining-this-second"] == "0"
    tick[0] += 0.99
    assert not limiter.take("key").allowed
    tick[0] += 0.01
    assert limiter.take("key").headers["x-remaining-today"] == "97"


def test_burst_and_error_faults_apply_nothing(etsy, api):
    etsy.faults.burst_429 = 2
    statuses = [api.get("/v3/application/users/me") for _ in range(3)]
    assert [r.status_code for r in statuses] == [429, 429, 200]
    assert statuses[0].headers["retry-after"] == "1"
    got = inventory(api, WOOD)
    body = put_body(got)
    body["products"][0]["offerings"][0]["quantity"] = 1
    etsy.faults.error_rate = 1.0
    failed = put(api, WOOD, body)
    assert failed.status_code == 500 and failed.json()["error"]
    etsy.faults.error_rate, etsy.faults.conflict_rate = 0.0, 1.0
    assert put(api, WOOD, body).status_code == 409
    etsy.faults.conflict_rate = 0.0
    assert inventory(api, WOOD) == got


def test_a_reset_loses_the_answer_but_the_write_applies(etsy, api):
    listing_id = _simple_listing()["listing_id"]
    body = put_body(inventory(api, listing_id))
    body["products"][0]["offerings"][0]["quantity"] = 1
    etsy.faults.reset_rate = 1.0
    with pytest.raises(httpx.RemoteProtocolError):
        put(api, listing_id, body)
    etsy.faults.reset_rate = 0.0
    assert inventory(api, listing_id)["products"][0]["offerings"][0]["quantity"] == 1
    assert etsy.calls[-2].method == "PUT" and etsy.calls[-2].status is None


def test_malformed_answers_are_truncated_json(etsy, api):
    etsy.faults.malformed_rate = 1.0
    response = api.get("/v3/application/users/me")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_calls_are_recorded_with_parsed_bodies(etsy, api):
    body = put_body(inventory(api, WOOD))
    put(api, WOOD, body)
    api.get(LISTINGS, params={"state": "sold_out"})
    get_inventory, put_call, listings = etsy.calls
    assert (get_inventory.method, put_call.method) == ("GET", "PUT")
    assert put_call.body == body and put_call.status == 200
    assert listings.query == {"state": "sold_out"}


# --- control endpoints ---


def test_control_endpoints_drive_the_sandbox_over_http(etsy, api):
    control = httpx.Client(base_url=f"{etsy.url}/_sandbox")
    loaded = control.post("/catalog", json={"seed": 9, "n_listings": 12}).json()
    assert loaded["count"] == 12 and loaded["cases"]["sold_out"] == ["PIN-SOLDOUT"]
    rows = control.get("/quantities").json()["quantities"]
    assert len(rows) == len(etsy.quantities())
    sale = control.post(
        f"/listings/{SOLD_OUT}/quantity", json={"sku": "PIN-SOLDOUT", "quantity": 2}
    )
    assert sale.json()["quantity"] == 2
    assert (
        control.post(f"/listings/{SOLD_OUT}/quantity", json={"sku": "X", "quantity": 1}).status_code
        == 404
    )
    assert control.post("/faults", json={"burst_429": 1}).json()["burst_429"] == 1
    assert api.get("/v3/application/users/me").status_code == 429
    assert control.post("/faults", json={"bogus": 1}).status_code == 400
    assert control.post("/config", json={"zero_stock_policy": "reject"}).status_code == 200
    assert etsy.zero_stock_policy == "reject"
    assert control.post("/config", json={"nope": 1}).status_code == 400
    assert control.get("/config").json() == {
        "zero_stock_policy": "reject",
        "renew_product_ids": True,
        "update_listing_methods": ["PATCH", "PUT"],
    }
    control.post("/tokens/expire")
    assert api.get("/v3/application/users/me").status_code == 401
    fresh = control.post("/tokens").json()["access_token"]
    me = api.get("/v3/application/users/me", headers={"authorization": f"Bearer {fresh}"})
    assert me.status_code == 200
    now = etsy.clock.now()
    assert control.post("/clock", json={"advance_s": 7200}).json()["now"] >= now + 7200
    assert control.get("/calls", params={"path": "/v3/application/users"}).json()["count"] == 3
    assert control.delete("/calls").json()["count"] == 0
