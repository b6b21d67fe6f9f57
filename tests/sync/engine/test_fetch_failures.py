"""SPEC §8, review finding 4: a fetch that meets an error nobody planned for is a failed fetch
everywhere it is reported (the fetch record, /healthz, metrics, App Home, the reply), never a
good one. The error here is the review's: ORDERBOT_SECRET_KEY changed after tokens were stored,
so the stored tokens cannot be decrypted."""

import pytest
from prometheus_client import REGISTRY

from commands.context import Actor, Context
from commands.execute import execute
from commands.home import home
from commands.types import Fetch
from orderbot.compose import build_core
from orderbot.runtime import health_check
from storage import queries
from tests.utils.settings import core_settings

ADMIN = Actor("U0ADMIN", is_admin=True)
NAMED = "ORDERBOT_SECRET_KEY"  # what the error names, however it is worded


def fetches(outcome: str) -> float:
    return REGISTRY.get_sample_value("orderbot_fetches_total", {"outcome": outcome}) or 0.0


@pytest.fixture
def settings(shops, database_url, db):  # `db`: the schema, as `orderbot db upgrade` makes it
    return core_settings(shops, database_url)


def make_core(settings):
    return build_core(settings, client_options={"sleep": lambda _s: None})


@pytest.fixture
def stored_tokens(settings, shops):
    """A good fetch after TikTok expired the first access token: refreshed tokens are
    stored, encrypted with the settings' key. Returns when that fetch finished."""
    core = make_core(settings)
    try:
        shops.tiktok.add_order(skus=[shops.catalog.cases["unique"][0]])
        shops.tiktok.expire_access_tokens()
        summary = core.services.engine.fetch()
        assert summary.error is None
        with core.services.sessions() as session:
            assert queries.get_credential(session, shop_id=core.services.shop_id, platform="tiktok")
            return queries.last_fetch(session, shop_id=core.services.shop_id).last_ok_at
    finally:
        core.close()


def test_a_fetch_that_crashes_is_a_failed_fetch_everywhere(settings, stored_tokens):
    core = make_core(
        settings.model_copy(update={"secret_key": "another-secret-key-0123456789-abcdefghijkl"})
    )
    try:
        ok_before, errors_before = fetches("ok"), fetches("error")

        reply = execute(Fetch(), Context(core.services, ADMIN))

        assert not reply.ok and reply.text.startswith("Fetch stopped")
        shown = " ".join(str(block) for block in reply.blocks)
        assert NAMED in shown
        services = core.services
        with services.sessions() as session:
            state = queries.last_fetch(session, shop_id=services.shop_id)
        assert state.last_ok_at == stored_tokens  # the good fetch before stays the last good one
        assert NAMED in state.last_error
        assert "\n" not in state.last_error  # one line, built from the error's type and text
        assert (fetches("ok"), fetches("error")) == (ok_before, errors_before + 1)

        health = health_check(core)()
        assert health["last_fetch_ok_at"] == stored_tokens.isoformat()
        assert health["last_fetch_failed"] is True
        page = home(Context(services, ADMIN))
        last = " ".join(str(block) for block in page.blocks)
        assert "stopped:" in last and NAMED in last
    finally:
        core.close()


def test_health_tells_a_good_last_fetch(settings, stored_tokens):
    core = make_core(settings)
    try:
        health = health_check(core)()
        assert health["last_fetch_ok_at"] == stored_tokens.isoformat()
        assert health["last_fetch_failed"] is False
    finally:
        core.close()
