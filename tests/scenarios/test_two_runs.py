"""Two `orderbot run` processes on one PostgreSQL database (SPEC §8: several instances).

The marketplaces and Slack are emulators in this process; the instances are real subprocesses
in HTTP mode that fetch every 3 seconds. From what the emulators recorded and what the database
holds, the test shows that the two never fetch at once or twice in one tick, place every order
once, post every alert once and cancel once however often, and wherever, the button is pressed;
and that when one is killed in the middle of a fetch, the other takes over its leases at once
and carries on.
"""

import json
import os
import re
import signal
import time
from dataclasses import dataclass

import httpx
import pytest
from sqlmodel import select

from commands import actions
from orderbot.compose import build_core
from sandbox.marketplaces import Marketplaces
from storage.db import make_engine, migrate, session_factory
from storage.models import Alert, Lease, Order, Shop
from tests.utils.database import needs_postgres, reset_postgres_schema
from tests.utils.ids import ADMIN, ALERT_CHANNEL
from tests.utils.processes import OrderbotRun, until
from tests.utils.settings import core_settings, settings_environment
from tests.utils.slack_requests import SlackRequests, block_action

pytestmark = needs_postgres

EVERY_S = 3  # the fetch interval: ORDERBOT_FETCH_INTERVAL_MINUTES=0.05
OVERLAP_S = 300  # a fetch re-reads this far behind the cursor the previous one saved
SEED, ORDERS = 7, 40
FAST = {"rate_per_s": 1000}
GHOST = "TT-GHOST-1"  # on no Etsy listing: its order fails placement (sku_unmatched)
REASON = "seller_cancel_reason_out_of_stock"
SECRET = "two-runs-signing-secret"
SEARCH = "/order/202309/orders/search"
CANCEL = "/return_refund/202309/cancellations"


# --- the marketplace script, played twice: once shared, once by one in-process reference -----


def open_shop(shops) -> list[str]:
    """Seeded orders, all awaiting shipment (so none moves by itself during the test), and two
    that cannot be placed. Returns the failing ones."""
    shops.tiktok.seed_orders(ORDERS, statuses={"AWAITING_SHIPMENT": 1})
    on_etsy = shops.catalog.cases["unique"][0]
    return [ghost_order(shops), shops.tiktok.add_order(skus=[on_etsy, GHOST])["id"]]


def ghost_order(shops) -> str:
    return shops.tiktok.add_order(skus=[GHOST])["id"]


@dataclass(frozen=True)
class Reference:
    placed: dict  # Etsy quantities once every order is placed, once
    cancelled: dict  # … and after the victim's cancellation gave its units back, once
    victim: str  # a placed order, the one the test cancels


def reference(tmp_path) -> Reference:
    with Marketplaces(seed=SEED, tiktok_options=FAST, etsy_options=FAST) as shops:
        open_shop(shops)
        ghost_order(shops)  # the one added while the instances run
        core = build_core(core_settings(shops, f"sqlite:///{tmp_path / 'reference.db'}"))
        try:
            engine = core.services.engine
            assert engine.fetch().error is None
            placed = shops.etsy.quantities()
            with core.services.sessions() as session:
                victim = session.exec(
                    select(Order.tiktok_order_id)
                    .where(Order.placement == "placed", Order.fulfilled_by == "SELLER")
                    .order_by(Order.tiktok_order_id)
                ).first()
            engine.cancel(victim, REASON, actor=ADMIN)
            return Reference(placed, shops.etsy.quantities(), victim)
        finally:
            core.close()


# --- what the TikTok emulator saw of the fetches -----------------------------------------------


@dataclass(frozen=True)
class Fetch:
    """One fetch, seen in its first orders/search page (later pages carry a page_token)."""

    ge: int  # update_time_ge: the cursor the fetch started from, minus the overlap
    lt: int  # update_time_lt: the second the fetch started, plus one

    @property
    def started(self) -> int:
        return self.lt - 1


def fetches(shops) -> list[Fetch]:
    found = [
        json.loads(call.body)
        for call in list(shops.tiktok.calls)
        if call.path == SEARCH and "page_token" not in call.query
    ]
    runs = [Fetch(body["update_time_ge"], body["update_time_lt"]) for body in found]
    return sorted(runs, key=lambda run: run.lt)  # in the order they started


def unchained(runs: list[Fetch]) -> list[tuple[Fetch, Fetch]]:
    """Pairs where a fetch did not start from the cursor its predecessor saved as its very last
    step: it began before that one had finished (or read a stale cursor)."""
    return [(a, b) for a, b in zip(runs, runs[1:], strict=False) if b.ge != a.lt - OVERLAP_S]


# --- the instances ------------------------------------------------------------------------------


class Instance(OrderbotRun):
    def fetch_count(self) -> int:
        """Fetches this process ran (its /metrics)."""
        text = httpx.get(f"{self.metrics}/metrics", timeout=5).text
        found = re.findall(r"^orderbot_fetches_total\{[^}]*\} (\S+)$", text, re.MULTILINE)
        return int(sum(float(value) for value in found))

    def press(self, action_id: str, value: str, *, response_url: str) -> int:
        """A signed block_actions request, as Slack sends a button press on one prompt (the
        same message, pressed again and again)."""
        body = block_action(
            action_id,
            value,
            user=ADMIN,
            response_url=response_url,
            channel=ALERT_CHANNEL,
            ts="1700000100.000001",
        )
        with SlackRequests(self.base, SECRET) as slack:
            return slack.post(body).status


@pytest.fixture
def instances():
    started: list[Instance] = []
    yield started
    for instance in started:
        instance.stop()


def environment(shops, slack_api, database_url: str) -> dict[str, str]:
    settings = core_settings(shops, database_url)  # fresh tokens, shared by both instances
    env = {
        **os.environ,
        **settings_environment(settings),
        "SLACK_BOT_TOKEN": slack_api.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack_api.url,
        "ORDERBOT_ALERT_CHANNEL": ALERT_CHANNEL,
        "ORDERBOT_ADMINS": ADMIN,
        "ORDERBOT_FETCH_INTERVAL_MINUTES": str(EVERY_S / 60),
        # Each binds a free port of its own: the settings' default (9464) would be taken by
        # the first, and the second would run without metrics.
        "ORDERBOT_METRICS_PORT": "0",
    }
    env.pop("SLACK_APP_TOKEN", None)  # HTTP mode
    return env


# --- reading Slack and the database --------------------------------------------------------------


def failure_posts(slack_api, order_id: str) -> list:
    """Messages telling of the order's failed placement: its own, or its failure group's."""
    return [
        m
        for m in slack_api.messages(ALERT_CHANNEL, include_ephemeral=False)
        if f"Order {order_id} could not be placed" in m.text
        or ("orders could not be placed" in m.text and order_id in json.dumps(m.blocks))
    ]


def lease_pid(sessions, name: str) -> int | None:
    with sessions() as session:
        lease = session.get(Lease, name)
    return int(lease.holder.split(":")[-2]) if lease else None  # holder: host:pid:nonce


def test_two_instances_share_the_work_and_never_double_it(
    tmp_path, postgres_server_url, slack_api, instances
):
    expected = reference(tmp_path)
    reset_postgres_schema(postgres_server_url)
    db = make_engine(postgres_server_url)
    migrate(db)
    sessions = session_factory(db)
    try:
        with Marketplaces(seed=SEED, tiktok_options=FAST, etsy_options=FAST) as shops:
            ghosts = open_shop(shops)
            env = environment(shops, slack_api, postgres_server_url)
            # One after the other: two first starts at once on an empty database each create a
            # shop row (storage.queries.ensure_shop), and then share nothing.
            for name in ("a", "b"):
                instances.append(Instance(env, tmp_path, name))
                instances[-1].serving()
            a, b = instances
            both_up = int(time.time()) + 2  # each instance's start-up fetch begins before this
            with sessions() as session:
                (shop_id,) = session.exec(select(Shop.id)).all()
            ghosts.append(ghost_order(shops))  # a new order while both run

            # Several intervals pass; every order is placed and every failure alerted.
            until(
                lambda: (
                    time.time() >= both_up + 4 * EVERY_S
                    and all(failure_posts(slack_api, ghost) for ghost in ghosts)
                ),
                "four ticks and an alert for each order that could not be placed",
            )
            until(
                lambda: a.fetch_count() + b.fetch_count() == len(fetches(shops)),
                "each fetch the emulator saw to be counted by the instance that ran it",
            )
            now = int(time.time())
            runs = fetches(shops)
            per_process = {"a": a.fetch_count(), "b": b.fetch_count()}

            # (a) Never two fetches at once: each began from the cursor the one before it saved
            # as its very last step. And one fetch per interval between the two, not one each:
            # after both start-up fetches, no two began within half an interval of each other
            # (the job's lease), and there were about as many as intervals passed.
            assert unchained(runs) == []
            window = [run for run in runs if both_up <= run.started < now - 1]
            intervals = (now - 1 - both_up) // EVERY_S
            assert intervals - 1 <= len(window) <= intervals + 2, (window, intervals)
            gaps = [y.started - x.started for x, y in zip(window, window[1:], strict=False)]
            assert min(gaps) >= 1, window

            # (b) Every order placed exactly once: Etsy holds what one instance alone leaves.
            assert shops.etsy.quantities() == expected.placed

            # (c) Every alert posted exactly once: each channel message is one claimed alert
            # row, and each order owed an alert is in exactly one message.
            with sessions() as session:
                rows = list(session.exec(select(Alert)))
            assert not [row.key for row in rows if row.state == "posting"]
            posts = slack_api.messages(ALERT_CHANNEL, include_ephemeral=False)
            assert len([c for c in slack_api.calls("chat.postMessage") if c.ok]) == len(posts)
            assert sorted(m.ts for m in posts) == sorted(row.ts for row in rows if row.ts)
            by_key = {row.key: row for row in rows}
            for row in rows:
                if row.state == "batched":  # shown by a summary or failure group message
                    assert by_key[row.batch_key].ts and not row.ts, row.key
            assert {ghost: len(failure_posts(slack_api, ghost)) for ghost in ghosts} == {
                ghost: 1 for ghost in ghosts
            }

            # Cancel, pressed twice on one instance and once on the other: TikTok is asked once.
            with sessions() as session:
                victim = session.exec(
                    select(Order).where(Order.tiktok_order_id == expected.victim)
                ).one()
            assert victim.placement == "placed"
            value = f"{expected.victim}|{REASON}"
            presses = {"a1": a, "a2": a, "b1": b}
            for key, instance in presses.items():
                url = slack_api.response_url(key)
                assert instance.press(actions.CANCEL_CONFIRM, value, response_url=url) == 200
            answers = slack_api.wait_for(
                lambda: (
                    all(any(r.get("text") for r in slack_api.responses(key)) for key in presses)
                    and {
                        key: [r["text"] for r in slack_api.responses(key) if r.get("text")]
                        for key in presses
                    }
                ),
                timeout=20,
            )
            done = [key for key, texts in answers.items() if "cancelled on TikTok Shop" in texts[0]]
            assert len(done) == 1, answers
            cancel_calls = [c for c in shops.tiktok.calls if c.path == CANCEL]
            assert len(cancel_calls) == 1
            assert [c["order_id"] for c in shops.tiktok.cancellations()] == [expected.victim]
            assert shops.tiktok.order(expected.victim)["status"] == "CANCELLED"
            # Its units come back once (at once, or by the next settle if another was busy),
            # and stay put over the next fetches.
            until(lambda: shops.etsy.quantities() == expected.cancelled, "the stock to return")
            seen = len(fetches(shops))
            until(lambda: len(fetches(shops)) >= seen + 2, "two more fetches")
            assert shops.etsy.quantities() == expected.cancelled

            # Kill one instance in the middle of a fetch: slow TikTok down so a fetch holds its
            # lease for seconds, and SIGKILL whichever instance holds it.
            shops.tiktok.faults.latency_ms = 2000
            fetch_lease = f"fetch:{shop_id}"
            dead_pid = until(lambda: lease_pid(sessions, fetch_lease), "a fetch to take its lease")
            dead = next(i for i in instances if i.pid == dead_pid)
            survivor = next(i for i in instances if i is not dead)
            dead.process.send_signal(signal.SIGKILL)
            dead.process.wait()  # reaped, as a supervisor would
            killed = time.time()
            killed_at = int(killed)  # fetches starting after this second are the survivor's
            shops.tiktok.faults.latency_ms = 0
            # Its leases would block the others for minutes; nothing gave them up.
            assert lease_pid(sessions, fetch_lease) == dead_pid
            assert lease_pid(sessions, f"job:fetch:{shop_id}") == dead_pid

            late = ghost_order(shops)
            until(lambda: failure_posts(slack_api, late), "the survivor to alert a new order", 30)
            alerted_in = time.time() - killed
            assert lease_pid(sessions, f"job:fetch:{shop_id}") == survivor.pid
            assert lease_pid(sessions, fetch_lease) != dead_pid

            def survivors() -> list[Fetch]:  # the killed fetch started before `killed_at`
                return [run for run in fetches(shops) if run.started > killed_at]

            until(lambda: len(survivors()) >= 3, "the survivor to go on fetching")
            assert unchained(survivors()) == []
            assert len(failure_posts(slack_api, late)) == 1
            assert shops.etsy.quantities() == expected.cancelled  # the killed fetch doubled none
            assert len([c for c in shops.tiktok.calls if c.path == CANCEL]) == 1
            print(
                f"\nbefore the kill: {len(runs)} fetches ({per_process}), {len(window)} in "
                f"{intervals} intervals with both up; {len(posts)} alerts posted; presses "
                f"answered {answers}; after it: the new order alerted in {alerted_in:.1f}s"
            )
    finally:
        db.dispose()
