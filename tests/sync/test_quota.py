"""Etsy's daily quota as its answers tell it, and when it holds index refreshes back."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from sync.errors import Unavailable
from sync.etsy.client import EtsyClient
from sync.quota import Quota, QuotaPolicy, freshest, read_quota
from sync.tokens import MemoryTokenStore, Tokens

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_the_quota_headers_are_read_and_anything_else_is_no_reading():
    headers = {"x-remaining-today": " 812 ", "x-limit-per-day": "10000"}
    assert read_quota(headers, now=NOW) == Quota(812, 10_000, NOW)
    assert read_quota({"x-remaining-today": "812"}, now=NOW) == Quota(812, None, NOW)
    for bad in ({}, {"x-remaining-today": "lots"}, {"x-remaining-today": "-1"}):
        assert read_quota(bad, now=NOW) is None


def test_refreshes_wait_only_on_a_recent_low_reading():
    policy = QuotaPolicy(reserve=1000, stale_after=timedelta(hours=1))
    assert policy.low(Quota(999, 10_000, NOW), NOW)
    assert not policy.low(Quota(1000, 10_000, NOW), NOW)
    assert not policy.low(None, NOW)
    # Etsy's window rolls: an old low reading no longer says the quota is low.
    assert not policy.low(Quota(5, 10_000, NOW), NOW + timedelta(hours=1, seconds=1))


def test_the_freshest_reading_wins():
    old, new = Quota(5, 100, NOW), Quota(50, 100, NOW + timedelta(seconds=1))
    assert freshest(old, None, new) == new and freshest(None) is None


def test_the_client_keeps_the_last_reading_any_answer_carried():
    answers = iter(
        [
            httpx.Response(200, json={"products": []}, headers={"x-remaining-today": "41"}),
            httpx.Response(200, json={"products": []}),  # no headers: the reading stays
            httpx.Response(429, json={"error": "x"}, headers={"x-remaining-today": "0"}),
        ]
    )
    client = EtsyClient(
        api_key="k",
        shared_secret="s",
        tokens=MemoryTokenStore(Tokens("1.a", "1.r", NOW + timedelta(hours=1))),
        shop_id=1,
        transport=httpx.MockTransport(lambda request: next(answers)),
        clock=lambda: NOW,
        max_attempts=1,
        sleep=lambda _s: None,
    )
    assert client.quota is None
    client.get_inventory(7)
    assert client.quota == Quota(41, None, NOW)
    client.get_inventory(7)
    assert client.quota == Quota(41, None, NOW) and client.requests == 2
    with pytest.raises(Unavailable):  # a 429 after the last attempt
        client.get_inventory(7)
    assert client.quota.remaining_today == 0 and client.requests == 3
