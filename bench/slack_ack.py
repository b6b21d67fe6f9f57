"""Slack in HTTP mode over 1M orders: how fast `/orders status …` is acknowledged and answered.

The app is `orderbot run` in HTTP mode (no SLACK_APP_TOKEN: the Bolt app on waitress, with its
scheduler), in a child process, over a database of `--orders` orders bulk-inserted with
set-based SQL (`_common.fill_orders`, section counts included). This process plays Slack: it
signs slash-command requests with the signing secret and posts them to /slack/events, and runs
the Slack emulator (`sandbox.slack.SlackSandbox`) whose response URLs receive the replies; each
reply's arrival is timed there. The marketplace emulators run here too, for the scheduler's
fetch at start (`/orders status` itself never calls a marketplace).

Phase 1: `--users` simulated users for `--seconds`; each sends a command, takes the ack, waits
for its reply on the response URL, and sends the next (a closed loop: `--users` commands in
flight). Phase 2: a burst of `--burst` commands sent at once on fresh connections.
ack = POST sent → HTTP answer received; reply = POST sent → reply posted to the response URL.

    .venv/bin/python bench/slack_ack.py [--orders 1000000] [--users 20] [--seconds 20] [--burst 100]
"""

import argparse
import itertools
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
from _common import (
    POSTGRES_ADMIN_URL,
    SECRET_KEY,
    emit,
    fill_orders,
    latency_summary,
    log,
    migrated,
    postgres_url,
    sqlite_url,
)
from slack_sdk.signature import SignatureVerifier

from sandbox.marketplaces import Marketplaces
from sandbox.slack import SlackSandbox

SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench"
TEXTS = (
    "status",
    "status awaiting-shipment",
    "status completed 2",
    "status failed",
    "status in-transit",
    "status all 5",
    "status cancelled",
    "status delivered 3",
    "status on-hold",
    "status awaiting-collection 2",
)
REPLY_TIMEOUT_S = 30.0


# --- the app, in a child process ---------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- Slack, in this process ---------------------------------------------------------------


class TimedSlack(SlackSandbox):
    """The Slack emulator, noting when each response URL post arrives."""

    def __init__(self) -> None:
        super().__init__(bot_token=BOT_TOKEN)
        self._waiting: dict[str, threading.Event] = {}
        self.arrivals: dict[str, tuple[float, bool, str | None]] = {}
        self._arrival_lock = threading.Lock()

    def expect(self, key: str) -> threading.Event:
        event = threading.Event()
        with self._arrival_lock:
            self._waiting[key] = event
        return event

    def _record(self, call) -> None:
        super()._record(call)
        if call.method == "response_url" and call.key:
            now = time.perf_counter()
            with self._arrival_lock:
                self.arrivals.setdefault(call.key, (now, call.ok, call.error))
                event = self._waiting.get(call.key)
            if event is not None:
                event.set()


class Slack:
    """Signs and sends slash commands as Slack does, and times ack and reply."""

    def __init__(self, app_url: str, sandbox: TimedSlack, seed: int) -> None:
        self.url = f"{app_url}/slack/events"
        self.sandbox = sandbox
        self.verifier = SignatureVerifier(SIGNING_SECRET)
        self.rng = random.Random(seed)
        self.seq = itertools.count(1)
        self.lock = threading.Lock()

    def command(self, http: httpx.Client) -> dict:
        with self.lock:
            n = next(self.seq)
            text = self.rng.choice(TEXTS)
        key = f"bench{n}"
        fields = {
            "token": "unused",
            "team_id": "T0BENCH",
            "team_domain": "bench",
            "channel_id": "C0ORDERS",
            "channel_name": "orders",
            "user_id": f"U0USER{n % 50}",
            "user_name": "bench",
            "command": "/orders",
            "text": text,
            "api_app_id": "A0ORDERBOT",
            "is_enterprise_install": "false",
            "response_url": self.sandbox.response_url(key),
            "trigger_id": f"{n}.{n}.trigger",
        }
        raw = urlencode(fields).encode()
        ts = str(int(time.time()))
        headers = {
            "content-type": "application/x-www-form-urlencoded",
            "x-slack-request-timestamp": ts,
            "x-slack-signature": self.verifier.generate_signature(timestamp=ts, body=raw),
        }
        arrived = self.sandbox.expect(key)
        sent = time.perf_counter()
        response = http.post(self.url, content=raw, headers=headers)
        acked = time.perf_counter()
        return {
            "key": key,
            "text": text,
            "status": response.status_code,
            "ack_s": acked - sent,
            "sent": sent,
            "arrived": arrived,
        }

    def reply_s(self, sample: dict, wait: bool = True) -> float | None:
        if wait:
            sample["arrived"].wait(REPLY_TIMEOUT_S)
        found = self.sandbox.arrivals.get(sample["key"])
        return None if found is None else found[0] - sample["sent"]


def cpu_s(pid: int | None = None) -> float:
    """CPU seconds (user + system) used so far by `pid`, or by this process."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def steady(slack: Slack, users: int, seconds: float) -> list[dict]:
    samples: list[dict] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def user() -> None:
        with httpx.Client(timeout=10) as http:
            while time.perf_counter() < deadline:
                sample = slack.command(http)
                sample["reply_s"] = slack.reply_s(sample)
                with lock:
                    samples.append(sample)

    threads = [threading.Thread(target=user) for _ in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples


def burst(slack: Slack, size: int) -> list[dict]:
    samples: list[dict] = []
    lock = threading.Lock()
    gate = threading.Barrier(size)

    def one() -> None:
        with httpx.Client(timeout=10) as http:  # a fresh connection each, as at a spike
            gate.wait()
            sample = slack.command(http)
        with lock:
            samples.append(sample)

    threads = [threading.Thread(target=one) for _ in range(size)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for sample in samples:
        sample["reply_s"] = slack.reply_s(sample)
    return samples


def summarize(samples: list[dict], sandbox: TimedSlack) -> dict:
    acks = [s["ack_s"] for s in samples]
    replies = [s["reply_s"] for s in samples if s["reply_s"] is not None]
    refused = [
        key
        for key, (_, ok, _) in sandbox.arrivals.items()
        if not ok and key in {s["key"] for s in samples}
    ]
    return {
        "requests": len(samples),
        "non_200": sum(1 for s in samples if s["status"] != 200),
        "ack": latency_summary(acks),
        "reply": latency_summary(replies) if replies else None,
        "replies_missing": len(samples) - len(replies),
        "replies_refused_by_slack": len(refused),
    }


def start_app(args, env: dict, workdir: str, app_log) -> tuple[subprocess.Popen, str]:
    """`orderbot run` in HTTP mode (no SLACK_APP_TOKEN), as production starts it."""
    script = Path(sys.executable).parent / "orderbot"
    if script.exists():
        argv = [str(script), "run"]
    else:
        argv = [sys.executable, "-c", "from orderbot.cli import main; main()", "run"]
    # cwd: a directory without a `.env`, so only `env` configures the app
    child = subprocess.Popen(argv, env=env, cwd=workdir, stdout=app_log, stderr=app_log)
    app_url = f"http://127.0.0.1:{env['PORT']}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        try:
            if httpx.get(f"{app_url}/healthz", timeout=2).status_code == 200:
                return child, app_url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    child.kill()
    child.wait()
    app_log.seek(0)
    raise SystemExit(f"the app did not start:\n{app_log.read()[-3000:]}")


def load(args, child: subprocess.Popen, app_url: str, sandbox: TimedSlack) -> dict:
    slack = Slack(app_url, sandbox, args.seed)
    with httpx.Client(timeout=10) as http:  # warm-up: not counted
        for _ in range(20):
            slack.reply_s(slack.command(http))
    log(f"phase 1: {args.users} users for {args.seconds}s")
    started, app_cpu, bench_cpu = time.perf_counter(), cpu_s(child.pid), cpu_s()
    phase1 = steady(slack, args.users, args.seconds)
    wall = time.perf_counter() - started
    cpu = {
        "app_cpu_percent": round(100 * (cpu_s(child.pid) - app_cpu) / wall),
        "bench_cpu_percent": round(100 * (cpu_s() - bench_cpu) / wall),
        "cores": os.cpu_count(),
    }
    log(f"phase 2: burst of {args.burst}")
    phase2 = burst(slack, args.burst)
    steady_summary = summarize(phase1, sandbox)
    steady_summary["per_second"] = round(len(phase1) / args.seconds, 1)
    steady_summary["cpu"] = cpu
    return {"steady": steady_summary, "burst": summarize(phase2, sandbox)}


def run(args) -> dict:
    sandbox = TimedSlack().start()
    shops = Marketplaces().start()  # for the scheduler's fetches; /orders status never calls
    database = sqlite_url() if args.backend == "sqlite" else postgres_url(args.postgres_url)
    try:
        with (
            database as url,
            tempfile.TemporaryDirectory(prefix="orderbot-bench-") as workdir,
            tempfile.TemporaryFile(mode="w+") as app_log,
        ):
            db = migrated(url)
            started = time.perf_counter()
            counts = fill_orders(db, args.orders)
            db.dispose()
            log(f"{sum(counts.values()):,} orders inserted in {time.perf_counter() - started:.1f}s")
            env = {
                **os.environ,
                **shops.environment(),
                "DATABASE_URL": url,
                "ORDERBOT_SECRET_KEY": SECRET_KEY,
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": sandbox.url,
                "PORT": str(free_port()),
            }
            for name in ("SLACK_APP_TOKEN", "ORDERBOT_ALERT_CHANNEL"):
                env.pop(name, None)  # HTTP mode; no channel alerts
            child, app_url = start_app(args, env, workdir, app_log)
            log(f"orderbot run: serving at {app_url}")
            try:
                result = load(args, child, app_url, sandbox)
            finally:
                child.terminate()
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
            app_log.seek(0)
            errors = [line.rstrip() for line in app_log if "Traceback" in line or "ERROR" in line]
    finally:
        sandbox.stop()
        shops.stop()
    return {**result, "app_errors": errors[:10]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=20, help="concurrent users, phase 1")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of phase 1")
    parser.add_argument("--burst", type=int, default=100, help="requests at once, phase 2")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    result = run(args)
    steady_run, burst_run = result["steady"], result["burst"]
    ack_p99 = steady_run["ack"]["p99_ms"]
    burst_max = burst_run["ack"]["max_ms"]
    reply_p99 = steady_run["reply"]["p99_ms"] if steady_run["reply"] else None
    emit(
        "slack_ack",
        {
            "ack_p50_ms": steady_run["ack"]["p50_ms"],
            "ack_p99_ms": ack_p99,
            "ack_max_ms": steady_run["ack"]["max_ms"],
            "burst_ack_max_ms": burst_max,
            "reply_p50_ms": steady_run["reply"]["p50_ms"] if steady_run["reply"] else None,
            "reply_p99_ms": reply_p99,
            "targets": {
                "ack_p99_ms<=100": ack_p99 <= 100,
                "burst_ack_max_ms<3000": burst_max < 3000,
                "reply_p99_ms<=1000": reply_p99 is not None and reply_p99 <= 1000,
            },
            "params": {
                "orders": args.orders,
                "users": args.users,
                "seconds": args.seconds,
                "burst": args.burst,
                "backend": args.backend,
            },
            **result,
        },
    )


if __name__ == "__main__":
    main()
