"""What the SKU index relies on from the Etsy emulator: `sort_on=updated` orders by
`last_modified_timestamp` (and a fault makes it ignored), state changes on Etsy's side, and
the daily quota on listing pages."""

import httpx
import pytest

from sandbox.etsy import EtsySandbox
from sandbox.seed import make_catalog

KEY = "sandboxkeystring:sandboxsecret"
SHOP = 5550001
LISTINGS = f"/v3/application/shops/{SHOP}/listings"
CATALOG = make_catalog(seed=5, n_listings=30)
BY_UPDATE = {"sort_on": "updated", "sort_order": "desc", "limit": 100}


@pytest.fixture
def etsy():
    with EtsySandbox(rate_per_s=100_000, per_day=50) as sandbox:
        sandbox.load_catalog(CATALOG.listings)
        yield sandbox


@pytest.fixture
def api(etsy):
    access = etsy.issue_tokens()["access_token"]
    headers = {"x-api-key": KEY, "authorization": f"Bearer {access}"}
    with httpx.Client(base_url=etsy.url, headers=headers) as client:
        yield client


def modified(api, **params) -> list[tuple[int, int]]:
    answer = api.get(LISTINGS, params={**BY_UPDATE, **params})
    assert answer.status_code == 200, answer.text
    return [
        (item["listing_id"], item["last_modified_timestamp"]) for item in answer.json()["results"]
    ]


def oldest_active() -> tuple[int, str]:
    listing = min(
        (item for item in CATALOG.listings if item.get("state", "active") == "active"),
        key=lambda item: item["listing_id"],
    )
    sku = next(p["sku"] for p in listing["inventory"]["products"] if p.get("sku"))
    return listing["listing_id"], sku


def test_sort_on_updated_puts_the_last_edited_listing_first(etsy, api):
    listing_id, sku = oldest_active()
    etsy.clock.advance(60)
    etsy.set_quantity(listing_id, sku, 3)
    seen = modified(api)
    assert seen[0][0] == listing_id
    times = [at for _, at in seen]
    assert times == sorted(times, reverse=True)


def test_with_sort_on_ignored_pages_come_by_creation_not_by_update(etsy, api):
    listing_id, sku = oldest_active()
    etsy.clock.advance(60)
    etsy.set_quantity(listing_id, sku, 3)
    # Set over HTTP, as another process would.
    assert api.post("/_sandbox/faults", json={"ignore_sort_on": True}).status_code == 200
    seen = modified(api)
    assert seen[-1][0] == listing_id  # created first, so listed last
    times = [at for _, at in seen]
    assert times != sorted(times, reverse=True)
    refused = api.post("/_sandbox/faults", json={"ignore_sort_on": "false"})
    assert refused.status_code == 400 and "true or false" in refused.json()["error"]


def test_a_state_change_on_etsys_side_moves_the_listing_and_its_timestamp(etsy, api):
    listing_id, _ = oldest_active()
    before = dict(modified(api))[listing_id]
    etsy.clock.advance(60)
    moved = api.post(f"/_sandbox/listings/{listing_id}/state", json={"state": "expired"})
    assert moved.status_code == 200 and moved.json()["state"] == "expired"
    assert listing_id not in dict(modified(api))
    (expired,) = modified(api, state="expired")
    assert expired[0] == listing_id and before + 60 <= expired[1] <= etsy.clock.now()
    bad = api.post(f"/_sandbox/listings/{listing_id}/state", json={"state": "removed"})
    assert bad.status_code == 400


def test_the_daily_quota_shows_on_listing_pages_and_is_enforced(etsy, api):
    left = []
    for _ in range(50):
        answer = api.get(LISTINGS, params=BY_UPDATE)
        assert answer.headers["x-limit-per-day"] == "50"
        left.append(int(answer.headers["x-remaining-today"]))
    assert left == list(range(49, -1, -1))
    refused = api.get(LISTINGS, params=BY_UPDATE)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 1
    assert refused.headers["x-remaining-today"] == "0"
