"""From a status change on TikTok to the alert in Slack: with webhooks, and by polling alone.

Everything runs on loopback: the TikTok and Etsy emulators, the Slack Web API emulator, and
orderbot as `orderbot run` wires it (the Bolt app and `/tiktok/webhook` on the production HTTP
runner, the scheduler, the webhook worker, the alert dispatcher), on a fresh SQLite database.

Webhooks: the TikTok emulator pushes a signed type-1 (and type-11) notification on each change;
orderbot answers at once, re-reads the order in the background, places or restores stock on Etsy
and posts the alert. Timed from just before the change is made on the emulator until the Slack
emulator has received the message naming the order. Two kinds of change are sampled in turn:
a new order (its "new order" alert) and a buyer cancellation of a placed order (its "cancelled"
alert). New orders are not summarised here (the summary threshold is lifted), so every sample
gets a message of its own.

Polling: no webhook URL; the scheduler's fetch runs every `--interval` seconds (standing for
ORDERBOT_FETCH_INTERVAL_MINUTES) and the alerts go out right after each fetch. Changes are
made at random moments of the interval. Target: p99 <= interval + 5 s.

    .venv/bin/python bench/webhook_alert.py [--samples 40] [--interval 3] [--polling-samples 12]
"""

import argparse
import random
import time
from datetime import timedelta

from _common import emit, latency_summary, log, ms, percentile, sqlite_url
from slack_sdk import WebClient

from bot.alerts import SlackPoster
from bot.app import build_app
from bot.http_server import start_server
from bot.schedule import Schedule
from bot.settings import BotSettings
from orderbot.autopilot import build_autopilot
from orderbot.compose import build_core
from orderbot.demo import demo_settings
from sandbox.marketplaces import Marketplaces
from sandbox.slack import SlackSandbox
from sync.alerts import AlertRules

CHANNEL = "C0ALERTS"
WEBHOOK_TARGET_MS = 2000
POLLING_SLACK_S = 5
NO_SUMMARY = AlertRules(batch_over=10**9)


def mentions(slack: SlackSandbox, order_id: str, kind: str) -> bool:
    for message in slack.messages(CHANNEL, include_ephemeral=False):
        if order_id in message.text and kind in message.text:
            return True
    return False


def timed(slack: SlackSandbox, change, order_id_of, kind: str, timeout: float) -> float:
    """Seconds from just before `change()` until a message naming the order arrives."""
    start = time.perf_counter()
    result = change()
    order_id = order_id_of(result)
    arrived: list[float] = []

    def seen():
        if mentions(slack, order_id, kind):
            arrived.append(time.perf_counter())
            return True
        return False

    slack.wait_for(seen, timeout=timeout)
    return arrived[0] - start


class World:
    def __init__(self, database_url: str, *, schedule: Schedule, webhooks: bool):
        fast = {"rate_per_s": 1000}
        self.shops = Marketplaces(seed=11, listings=40, tiktok_options=fast, etsy_options=fast)
        self.shops.start()
        self.slack = SlackSandbox().start()
        env = {
            **self.shops.environment(),
            "ORDERBOT_TIKTOK_RATE": "1000",
            "ORDERBOT_ETSY_RATE": "1000",
        }
        self.core = build_core(demo_settings(env, database_url))
        client = WebClient(base_url=self.slack.url, token=self.slack.bot_token)
        self.pilot = build_autopilot(
            self.core,
            schedule=schedule,
            app_key=self.shops.tiktok.app_key,
            app_secret=self.shops.tiktok.app_secret,
            channel=SlackPoster(client, CHANNEL),
            rules=NO_SUMMARY,
        )
        self.server = None
        if webhooks:
            settings = BotSettings(
                bot_token=self.slack.bot_token,
                signing_secret="bench-signing-secret",
                api_url=self.slack.url,
                alert_channel=CHANNEL,
            )
            app = build_app(services=self.core.services, settings=settings, client=client)
            self.server = start_server(app, health=lambda: {"ok": True}, webhook=self.pilot.webhook)
            self.shops.tiktok.webhook_url = f"{self.server.url}/tiktok/webhook"
        self.pilot.start()
        self.pilot.worker.wait_idle(10)
        self.skus = [
            sku for sku in self.shops.catalog.cases["unique"] if self._stock(sku) >= 50
        ] or self.shops.catalog.cases["unique"]

    def _stock(self, sku: str) -> int:
        levels = [q for (_, s, _), q in self.shops.etsy.quantities().items() if s == sku]
        return min(levels) if levels else 0

    def new_order(self, rng: random.Random) -> dict:
        return self.shops.tiktok.add_order(skus=[rng.choice(self.skus)])

    def close(self) -> None:
        self.shops.tiktok.webhook_url = None
        if self.server is not None:
            self.server.stop()
        self.pilot.stop()
        self.core.close()
        self.slack.stop()
        self.shops.stop()


def webhook_samples(n: int, rng: random.Random) -> dict[str, list[float]]:
    schedule = Schedule(fetch_every=timedelta(minutes=5), fetch_at_start=False)
    samples: dict[str, list[float]] = {"new_order": [], "cancel": []}
    with sqlite_url() as url:
        world = World(url, schedule=schedule, webhooks=True)
        try:
            for i in range(n):
                if i % 2 == 0 or not samples["new_order"]:
                    seconds = timed(
                        world.slack,
                        lambda: world.new_order(rng),
                        lambda order: order["id"],
                        "New order",
                        timeout=30,
                    )
                    samples["new_order"].append(seconds)
                else:
                    # A placed order the buyer cancels (made and alerted before the clock runs).
                    placed = world.new_order(rng)["id"]
                    world.slack.wait_for(lambda o=placed: mentions(world.slack, o, "New order"), 30)
                    seconds = timed(
                        world.slack,
                        lambda o=placed: world.shops.tiktok.buyer_cancel(o) and o,
                        lambda order_id: order_id,
                        "cancelled by",
                        timeout=30,
                    )
                    samples["cancel"].append(seconds)
                log(f"webhook sample {i + 1}/{n}: {seconds * 1000:.0f} ms")
            failed = [d for d in world.shops.tiktok.webhook_deliveries if not d.ok]
            if failed:
                log(f"{len(failed)} webhook deliveries were not accepted")
        finally:
            world.close()
    return samples


def polling_samples(n: int, interval_s: float, rng: random.Random) -> list[float]:
    schedule = Schedule(
        fetch_every=timedelta(seconds=interval_s),
        alerts_every=timedelta(seconds=10),
        fetch_at_start=True,
    )
    samples: list[float] = []
    with sqlite_url() as url:
        world = World(url, schedule=schedule, webhooks=False)
        try:
            for i in range(n):
                time.sleep(rng.uniform(0, interval_s))  # a change at a random moment
                seconds = timed(
                    world.slack,
                    lambda: world.new_order(rng),
                    lambda order: order["id"],
                    "New order",
                    timeout=interval_s + 30,
                )
                samples.append(seconds)
                log(f"polling sample {i + 1}/{n}: {seconds:.2f} s")
        finally:
            world.close()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--interval", type=float, default=3.0, help="polling fetch interval, s")
    parser.add_argument("--polling-samples", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    pushed = webhook_samples(args.samples, rng)
    every = pushed["new_order"] + pushed["cancel"]
    polled = polling_samples(args.polling_samples, args.interval, rng)

    overall = latency_summary(every)
    polling_p99 = percentile(polled, 99)
    result = {
        **overall,
        "new_order": latency_summary(pushed["new_order"]),
        "cancel": latency_summary(pushed["cancel"]),
        "polling_interval_s": args.interval,
        "polling_n": len(polled),
        "polling_p50_s": round(percentile(polled, 50), 2),
        "polling_p99_s": round(polling_p99, 2),
        "polling_max_s": round(max(polled), 2),
        "target_p99_ms": WEBHOOK_TARGET_MS,
        "target_polling_p99_s": args.interval + POLLING_SLACK_S,
        "meets_targets": overall["p99_ms"] <= WEBHOOK_TARGET_MS
        and polling_p99 <= args.interval + POLLING_SLACK_S,
        "database": "sqlite",
        "webhook_min_ms": ms(min(every)),
    }
    emit("webhook_alert", result)


if __name__ == "__main__":
    main()
