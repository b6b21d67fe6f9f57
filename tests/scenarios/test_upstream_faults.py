"""SPEC §8: upstream faults are retried or refreshed within the platforms' limits; what still
fails is reported, resumably, and the next fetch finishes the work — every order placed once.

The core runs in this process against the sandbox shops (build_core, as `orderbot fetch` does);
retries wait on a recorded `sleep`, never the wall clock. Each run is compared with one clean
run of identical shops, and every Etsy quantity with what the placed orders took.
"""

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from prometheus_client import REGISTRY
from pydantic import SecretStr

from orderbot.compose import build_core
from orderbot.settings import Settings, reveal
from storage import queries
from storage.db import make_engine, migrate
from storage.models import FetchState
from storage.secrets import SecretBox
from tests.utils.twin_shops import (
    StagingTime,
    counts_and_recount,
    environment,
    expected_quantities,
    make_shops,
    open_intents,
    outcomes,
    placed,
    stage_orders,
)

ORDERS = 300
LISTINGS = 60
SEED = 11
BATCH = 60  # several batches per fetch, so a fault can land between and inside them
ATTEMPTS = 6  # the clients' default retry budget
TIMEOUT_S = 0.3  # the clients' timeout in these tests; a slow answer takes a little longer
SLOW_MS = 350
TIKTOK_REFRESH, ETSY_REFRESH = "/api/v2/token/refresh", "/v3/public/oauth/token"


class Upstream:
    """Sees every attempt (the clients' `on_call` hook) and runs the hooks that change the
    sandbox faults as the fetch goes: `hook(platform, endpoint, outcome, seen)`, where `seen`
    counts the attempts so far by platform and by (platform, endpoint, outcome)."""

    def __init__(self, shops):
        self.shops = shops
        self.seen: Counter = Counter()
        self.hooks: list[Callable] = []

    def __call__(self, platform: str, endpoint: str, outcome: str) -> None:
        self.seen[platform] += 1
        self.seen[(platform, endpoint, outcome)] += 1
        for hook in self.hooks:
            hook(platform, endpoint, outcome, self.seen)

    def at(self, n: int, platform: str, endpoint: str, outcome: str, action) -> None:
        """`action()` once, on the n-th such attempt."""
        key = (platform, endpoint, outcome)

        def hook(p, e, o, seen):
            if (p, e, o) == key and seen[key] == n:
                action()

        self.hooks.append(hook)

    def sandbox(self, platform: str):
        return self.shops.tiktok if platform == "tiktok" else self.shops.etsy


class Run:
    """Twin-staged shops, a database, and a core built on them as `orderbot fetch` builds it."""

    def __init__(self, database_url: str, orders: int = ORDERS):
        time_base = StagingTime()
        self.shops = make_shops(seed=SEED, listings=LISTINGS, time_base=time_base).start()
        self.staged = stage_orders(self.shops, orders, time_base.t0) if orders else {}
        time_base.run()
        self.before = self.shops.etsy.quantities()
        db = make_engine(database_url)
        migrate(db)  # PostgreSQL is migrated by `orderbot db upgrade`
        db.dispose()
        self.settings = Settings(_env_file=None, **environment(self.shops, database_url))
        self.upstream = Upstream(self.shops)
        self.sleeps: list[float] = []
        self.core = None

    def build(self, **client_options):
        if self.core is not None:
            self.core.close()
        options = {"sleep": self.sleeps.append, "on_call": self.upstream, **client_options}
        self.core = build_core(self.settings, client_options=options, batch_size=BATCH)
        return self.core

    @property
    def sessions(self):
        return self.core.services.sessions

    def fetch(self):
        return self.core.services.engine.fetch()

    def close(self):
        if self.core is not None:
            self.core.close()
        self.shops.stop()


@pytest.fixture
def run(database_url):
    """On SQLite, and on PostgreSQL when ORDERBOT_TEST_POSTGRES_URL is set."""
    built = Run(database_url)
    yield built
    built.close()


@pytest.fixture
def sqlite_run(tmp_path):
    built = Run(f"sqlite:///{tmp_path / 'orderbot.db'}")
    yield built
    built.close()


@dataclass(frozen=True)
class Clean:
    outcomes: dict
    quantities: dict


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """The outcome of one fault-free fetch of the same orders: what every run must end in."""
    built = Run(f"sqlite:///{tmp_path_factory.mktemp('clean') / 'clean.db'}")
    try:
        built.build()
        summary = built.fetch()
        assert summary.error is None
        done = outcomes(built.sessions)
        assert built.shops.etsy.quantities() == expected_quantities(
            built.shops, built.before, placed(built.sessions)
        )
        assert Counter(placement for _, placement, _ in done.values())["placed"] > ORDERS // 3
        assert Counter(reason for *_, reason in done.values())["insufficient_stock"] > 10
        return Clean(done, built.shops.etsy.quantities())
    finally:
        built.close()


def assert_like_clean(run: Run, clean: Clean) -> None:
    """Every order stored once and placed at most once, exactly as in a fault-free fetch."""
    expected, quantities = clean.outcomes, clean.quantities
    got = outcomes(run.sessions)
    differ = {k: (expected.get(k), got.get(k)) for k in expected.keys() | got.keys()}
    differ = {k: v for k, v in differ.items() if v[0] != v[1]}
    assert not differ, f"{len(differ)} orders differ, e.g. {list(differ.items())[:5]}"
    now = run.shops.etsy.quantities()
    assert now == expected_quantities(run.shops, run.before, placed(run.sessions))
    assert now == quantities
    assert not open_intents(run.sessions)
    counted, recounted = counts_and_recount(run.sessions)
    assert counted == recounted


# --- each fault alone, then all together -------------------------------------------------------


# TikTok serves 300 orders in a handful of calls and Etsy in hundreds: each platform gets its
# own period, so that both see the fault.
PERIOD = {"tiktok": 3, "etsy": 50}


def slow_next(run: Run, scale: int = 1) -> None:
    """After every n-th attempt on a platform, it answers the next one too late (the sandbox
    still does the work, as a slow server does); the timeout puts its speed back."""

    def hook(platform, _endpoint, outcome, seen):
        faults = run.upstream.sandbox(platform).faults
        if outcome == "timeout":
            faults.latency_ms = 0
        elif seen[platform] % (PERIOD[platform] * scale) == 0:
            faults.latency_ms = SLOW_MS

    run.upstream.hooks.append(hook)


def bursts(run: Run, scale: int = 1) -> None:
    """After every n-th attempt on a platform, its next two answers are 429 + Retry-After."""

    def hook(platform, _endpoint, _outcome, seen):
        if seen[platform] % (PERIOD[platform] * scale) == 0:
            run.upstream.sandbox(platform).faults.burst_429 = 2

    run.upstream.hooks.append(hook)


def rate(run: Run, name: str, value: float) -> None:
    """`name` at `value` on both platforms; TikTok's second attempt is sure to get it."""
    for sandbox in (run.shops.tiktok, run.shops.etsy):
        setattr(sandbox.faults, name, value)

    def hook(platform, _endpoint, _outcome, seen):
        if platform == "tiktok" and seen["tiktok"] in (1, 2):
            setattr(run.shops.tiktok.faults, name, 1.0 if seen["tiktok"] == 1 else value)

    run.upstream.hooks.append(hook)


MODES = {
    "5xx": lambda run: rate(run, "error_rate", 0.15),
    "connection resets": lambda run: rate(run, "reset_rate", 0.1),
    "malformed json": lambda run: rate(run, "malformed_rate", 0.1),
    "429 bursts": bursts,
    "timeouts": slow_next,
}


@pytest.mark.parametrize("mode", list(MODES))
def test_a_fetch_through_one_kind_of_fault_places_every_order_once(sqlite_run, clean, mode):
    run = sqlite_run
    run.build(timeout=TIMEOUT_S)
    MODES[mode](run)
    before = {platform: retries(platform) for platform in ("tiktok", "etsy")}

    assert run.fetch().error is None

    assert_like_clean(run, clean)
    for platform in ("tiktok", "etsy"):  # the faults happened, and were retried
        assert retries(platform) > before[platform], platform


def retries(platform: str) -> float:
    """Retries made so far by the clients of `platform` (each fault met is retried)."""
    return REGISTRY.get_sample_value("orderbot_api_retries_total", {"platform": platform}) or 0


def test_retry_after_is_honoured_without_waiting_for_real(sqlite_run, clean):
    run = sqlite_run
    run.build()
    run.shops.tiktok.faults.retry_after_s = 2  # Etsy's sandbox always asks for 1 s
    bursts(run)
    started = time.monotonic()

    assert run.fetch().error is None

    took = time.monotonic() - started
    assert_like_clean(run, clean)
    refused = {
        name: [c for c in sandbox.calls if c.status == 429]
        for name, sandbox in (("tiktok", run.shops.tiktok), ("etsy", run.shops.etsy))
    }
    assert refused["tiktok"] and refused["etsy"]
    # Each wait went to the recorded sleep, as long as asked and no longer.
    assert any(1.9 <= s <= 2.0 for s in run.sleeps), sorted(run.sleeps)[-5:]
    assert max(run.sleeps) <= 2.0
    assert took < len(refused["tiktok"]) * 2 + len(refused["etsy"]), "slept for real"


def test_all_faults_at_once_still_place_every_order_once(run, clean):
    run.build(timeout=TIMEOUT_S)
    rate(run, "error_rate", 0.06)
    rate(run, "reset_rate", 0.04)
    rate(run, "malformed_rate", 0.04)
    run.shops.etsy.faults.conflict_rate = 0.04
    bursts(run, scale=2)
    slow_next(run, scale=3)
    # After TikTok's second page, while Etsy has stock to move and TikTok a page to serve.
    run.upstream.at(2, "tiktok", "search_orders", "200", expire_sparing_refresh(run))

    assert run.fetch().error is None

    assert_like_clean(run, clean)
    for sandbox, path in ((run.shops.tiktok, TIKTOK_REFRESH), (run.shops.etsy, ETSY_REFRESH)):
        assert any(c.path == path and c.status == 200 for c in sandbox.calls)


def test_a_conflict_whose_answer_comes_cut_short_is_retried_not_taken_as_a_refusal(tmp_path):
    """Etsy's 409 ("being edited, try again") is retried. A 409 whose body arrives cut short
    no longer says so, and must be retried too, not fail the order for good as etsy_error."""
    run = Run(f"sqlite:///{tmp_path / 'orderbot.db'}", orders=0)
    try:
        run.build()
        sku = run.shops.catalog.cases["unique"][0]
        order_id = run.shops.tiktok.add_order(skus=[sku])["id"]
        faults = run.shops.etsy.faults
        # The one stock write is refused with a 409 whose body is cut in half, then it is not.
        run.upstream.at(
            2,  # the read just before the write (the first is the one planned on)
            "etsy",
            "listings_batch",
            "200",
            lambda: faults.update({"conflict_rate": 1.0, "malformed_rate": 1.0}),
        )
        run.upstream.at(1, "etsy", "update_inventory", "409", faults.clear)
        level = {k: q for k, q in run.shops.etsy.quantities().items() if k[1] == sku}

        assert run.fetch().error is None

        puts = [c.status for c in run.shops.etsy.calls if c.method == "PUT"]
        assert puts[0] == 409
        order = run.core.services.engine.order(order_id)
        assert (order.placement, order.failure_reason, order.failure_detail) == (
            "placed",
            None,
            None,
        )
        assert puts == [409, 200]
        assert {k: q for k, q in run.shops.etsy.quantities().items() if k[1] == sku} == {
            k: q - 1 for k, q in level.items()
        }
    finally:
        run.close()


# --- tokens ----------------------------------------------------------------------------------


def expire_all_tokens(run: Run):
    def action() -> None:
        run.shops.tiktok.expire_access_tokens()
        run.shops.etsy.expire_access_tokens()

    return action


def expire_sparing_refresh(run: Run):
    """Expire both platforms' tokens, but let no refresh answer be lost once the platform has
    done the work: the refresh token it rotated out is gone, and no client can recover from
    that (see `test_a_lost_refresh_answer_asks_for_a_new_authorisation`)."""
    spared: dict[str, tuple] = {}

    def restore(platform, _endpoint, _outcome, seen):
        if platform in spared and seen[platform] > spared[platform][0]:
            faults = run.upstream.sandbox(platform).faults
            _, faults.reset_rate, faults.malformed_rate = spared.pop(platform)

    def expire() -> None:
        for platform in ("tiktok", "etsy"):
            faults = run.upstream.sandbox(platform).faults
            seen = run.upstream.seen[platform]
            spared[platform] = (seen, faults.reset_rate, faults.malformed_rate)
            faults.reset_rate = faults.malformed_rate = 0.0
        expire_all_tokens(run)()

    run.upstream.hooks.append(restore)
    return expire


def refreshes(run: Run) -> dict[str, int]:
    tiktok = [c for c in run.shops.tiktok.calls if c.path == TIKTOK_REFRESH]
    etsy = [c for c in run.shops.etsy.calls if c.path == ETSY_REFRESH]
    for call in tiktok + etsy:
        assert call.status == 200, call
    return {"tiktok": len(tiktok), "etsy": len(etsy)}


def stored_tokens(run: Run) -> dict[str, tuple[str, str]]:
    box = SecretBox(reveal(run.settings.secret_key))
    result = {}
    with run.sessions() as session:
        for platform in ("tiktok", "etsy"):
            row = queries.get_credential(
                session, shop_id=run.core.services.shop_id, platform=platform
            )
            assert row is not None, f"{platform} tokens were not stored"
            result[platform] = (box.open(row.access_token), box.open(row.refresh_token))
    return result


def test_tokens_expiring_mid_run_are_refreshed_and_kept_for_the_next_process(sqlite_run, clean):
    """Both platforms' access tokens expire mid-fetch: each is refreshed once, the fetch goes
    on, and the new tokens are stored for the next process."""
    run = sqlite_run
    run.build()
    # After TikTok's first page, while Etsy has stock to move and TikTok pages to serve.
    run.upstream.at(1, "tiktok", "search_orders", "200", expire_all_tokens(run))

    assert run.fetch().error is None

    assert_like_clean(run, clean)
    assert refreshes(run) == {"tiktok": 1, "etsy": 1}
    first = run.settings
    stored = stored_tokens(run)
    assert stored["tiktok"] != (
        reveal(first.tiktok_access_token),
        reveal(first.tiktok_refresh_token),
    )
    assert stored["etsy"] != (reveal(first.etsy_access_token), reveal(first.etsy_refresh_token))

    # A new process with the same settings: the first refresh tokens are spent (the sandbox
    # rotates them), so only the stored ones can get it going again.
    run.build()
    expire_all_tokens(run)()
    sku = run.shops.catalog.cases["unique"][-1]
    new = run.shops.tiktok.add_order(skus=[sku])["id"]
    level = {k: q for k, q in run.shops.etsy.quantities().items() if k[1] == sku}

    assert run.fetch().error is None

    assert run.core.services.engine.order(new).placement == "placed"
    assert {k: q for k, q in run.shops.etsy.quantities().items() if k[1] == sku} == {
        k: q - 1 for k, q in level.items()
    }
    assert refreshes(run) == {"tiktok": 2, "etsy": 2}
    assert stored_tokens(run) != stored


def lose_a_refresh_answer(run: Run) -> str:
    """Etsy's access token expires and the answer to the refresh is cut short after Etsy made
    new tokens: the refresh token orderbot holds is spent (Etsy rotates them). Returns the
    fetch's error."""
    run.shops.tiktok.add_order(skus=[run.shops.catalog.cases["unique"][1]])  # for Etsy to do
    run.shops.etsy.expire_access_tokens()
    run.shops.etsy.faults.malformed_rate = 1.0  # every answer cut short, the work done
    error = run.fetch().error
    run.shops.etsy.faults.malformed_rate = 0.0
    assert error is not None and error.startswith("etsy: token refresh refused"), error
    return error


def test_a_lost_refresh_answer_asks_for_a_new_authorisation(sqlite_run):
    """No retry can bring a spent refresh token back: the fetch must say to authorise again,
    not promise that the next fetch resumes."""
    run = sqlite_run
    run.build()
    first = lose_a_refresh_answer(run)
    again = run.fetch().error

    assert again is not None and again.startswith("etsy: token refresh refused")
    for error in (first, again):
        assert "resumes" not in error
        assert "authoris" in error.lower() or "authoriz" in error.lower()


def test_a_new_authorisation_wins_over_spent_stored_tokens(sqlite_run):
    """Tokens refreshed once are stored and win over the settings' first ones (SPEC §7). When
    the stored refresh token is spent, the seller authorises again and puts the new tokens in
    the settings: those must be used, or orderbot can never reach Etsy again."""
    run = sqlite_run
    run.build()
    run.upstream.at(1, "etsy", "listings", "200", run.shops.etsy.expire_access_tokens)
    assert run.fetch().error is None
    assert refreshes(run)["etsy"] == 1  # stored tokens now win over the settings' ones
    lose_a_refresh_answer(run)

    fresh = run.shops.etsy.issue_tokens()  # the seller authorises the app again
    run.settings = run.settings.model_copy(
        update={
            "etsy_access_token": SecretStr(fresh["access_token"]),
            "etsy_refresh_token": SecretStr(fresh["refresh_token"]),
        }
    )
    run.build()
    sku = run.shops.catalog.cases["unique"][-1]
    new = run.shops.tiktok.add_order(skus=[sku])["id"]

    assert run.fetch().error is None
    assert run.core.services.engine.order(new).placement == "placed"


# --- a platform down for longer than the retry budget ----------------------------------------


def assert_resumable(run: Run, error: str, platform: str) -> None:
    """A readable, resumable stop: the cursor is not past what was stored."""
    assert error.startswith(f"{platform}: "), error
    assert f"gave up after {ATTEMPTS} attempts" in error
    assert "nothing was lost; the next fetch resumes" in error
    with run.sessions() as session:
        state = session.get(FetchState, run.core.services.shop_id)
    assert state.last_error == error
    stored = outcomes(run.sessions)
    updated = {o["id"]: o["update_time"] for o in run.shops.tiktok.orders()}
    assert stored, "no page was stored before the outage"
    assert state.cursor is not None and state.cursor <= max(updated[k] for k in stored)
    assert not [k for k, at in updated.items() if at < state.cursor and k not in stored]


def down(run: Run, platform: str):
    def action() -> None:
        run.upstream.sandbox(platform).faults.error_rate = 1.0

    return action


def test_etsy_down_mid_batch_stops_resumably_and_the_next_fetch_finishes(run, clean):
    run.build()
    # Etsy stops answering after the 5th stock write of the first batch.
    run.upstream.at(5, "etsy", "update_inventory", "200", down(run, "etsy"))

    first = run.fetch()

    assert first.error is not None
    assert_resumable(run, first.error, "etsy")
    assert open_intents(run.sessions), "the outage was meant to leave a write unconfirmed"
    assert Counter(p for _, p, _ in outcomes(run.sessions).values())["placing"]

    run.shops.etsy.faults.error_rate = 0.0
    again = run.fetch()

    assert again.error is None
    assert_like_clean(run, clean)


def once_a_page_is_stored(run: Run, action):
    """`action()` as soon as the fetch has stored a page. Hooks run on the calling thread:
    this one waits on the prefetch thread, while the fetch's thread stores the first page
    (its details are asked for beside the next page, so no call count says when it is in)."""

    def wait_then_act() -> None:
        deadline = time.monotonic() + 30
        while not outcomes(run.sessions) and time.monotonic() < deadline:
            time.sleep(0.01)
        action()

    return wait_then_act


def test_tiktok_down_mid_paging_stops_resumably_and_the_next_fetch_finishes(run, clean):
    run.build()
    # The window is paged from both ends: each chain's next page waits until the first page
    # is stored, then TikTok goes down, so the first is stored and the rest are not.
    wait_then_down = once_a_page_is_stored(run, down(run, "tiktok"))
    first_fetch = True

    def after_the_first_search(platform, endpoint, outcome, seen) -> None:
        key = (platform, endpoint, outcome)
        if first_fetch and key == ("tiktok", "search_orders", "200") and seen[key] >= 2:
            wait_then_down()

    run.upstream.hooks.append(after_the_first_search)

    first = run.fetch()

    assert first.error is not None
    assert_resumable(run, first.error, "tiktok")
    assert 0 < len(outcomes(run.sessions)) < len(run.shops.tiktok.orders())

    first_fetch = False
    run.shops.tiktok.faults.error_rate = 0.0
    again = run.fetch()

    assert again.error is None
    assert_like_clean(run, clean)
