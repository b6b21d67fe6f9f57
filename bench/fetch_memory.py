"""Peak RSS of one `orderbot fetch` of 10k and of 100k orders.

The sandbox marketplaces live in this process; the fetch runs as a child process, the real
`orderbot fetch` command with the sandbox's environment and a fresh SQLite database, so only the
fetch's own memory is counted. The sandbox's and the clients' rate limits are raised and no
latency is injected, so that 100k orders finish in minutes (about 16 on 2 cores); the engine
runs with its defaults, as `orderbot fetch` builds it.

A pitfall, measured: Linux carries a process's peak RSS across fork and exec (`ru_maxrss` of a
child forked from this process starts at this process's size, which grows with the sandbox's
orders). So the fetch is started by a small launcher process, started before the sandbox
exists; the launcher reports the child's `ru_maxrss` from `wait4`, and cross-checks it with the
child's own `VmHWM` (/proc/<pid>/status, read every 0.1 s until it exits).

    .venv/bin/python bench/fetch_memory.py [--sizes 10000,100000] [--listings 100]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, SECRET_KEY, emit, log

from sandbox.marketplaces import Marketplaces

LABELS = {10_000: "10k", 100_000: "100k"}
FAST = 100_000.0  # requests/s: effectively unlimited on loopback


def label(n: int) -> str:
    return LABELS.get(n, str(n))


# Runs in a fresh, small interpreter: reads one JSON job per line ({argv, env, cwd, out}),
# runs it, and answers one JSON line {code, maxrss_kb, hwm_kb, cpu_s}.
LAUNCHER = r"""
import json, os, subprocess, sys, threading
for line in sys.stdin:
    job = json.loads(line)
    with open(job["out"], "wb") as sink:
        child = subprocess.Popen(job["argv"], env=job["env"], cwd=job["cwd"],
                                 stdout=sink, stderr=subprocess.STDOUT)
    hwm = [0]
    done = threading.Event()
    def watch():
        while not done.wait(0.1):
            try:
                with open(f"/proc/{child.pid}/status") as status:
                    for row in status:
                        if row.startswith("VmHWM:"):
                            hwm[0] = max(hwm[0], int(row.split()[1]))
            except OSError:
                pass
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, status, usage = os.wait4(child.pid, 0)
    done.set()
    watcher.join()
    print(json.dumps({"code": os.waitstatus_to_exitcode(status), "maxrss_kb": usage.ru_maxrss,
                      "hwm_kb": hwm[0], "cpu_s": usage.ru_utime + usage.ru_stime}), flush=True)
"""


class Launcher:
    """The small process that starts each fetch (see the module docstring for why)."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={"PATH": os.environ.get("PATH", "")},
        )

    def run(self, argv: list[str], *, env: dict, cwd: Path, out: Path) -> dict:
        job = {"argv": argv, "env": env, "cwd": str(cwd), "out": str(out)}
        self._process.stdin.write(json.dumps(job) + "\n")
        self._process.stdin.flush()
        return json.loads(self._process.stdout.readline())

    def close(self) -> None:
        self._process.stdin.close()
        self._process.wait(timeout=10)


def fetch_command() -> list[str]:
    script = Path(sys.executable).parent / "orderbot"
    if script.exists():
        return [str(script), "fetch"]
    return [sys.executable, "-c", "from orderbot.cli import main; main()", "fetch"]


def measure(n: int, args, launcher: Launcher) -> dict:
    shops = Marketplaces(
        seed=args.seed,
        listings=args.listings,
        tiktok_options={"rate_per_s": FAST},
        etsy_options={"rate_per_s": int(FAST), "per_day": 100_000_000},
    )
    for listing in shops.catalog.listings:  # room for every unit, as in fetch_throughput
        for product in listing["inventory"]["products"]:
            for offering in product["offerings"]:
                if offering["quantity"] > 0:
                    offering["quantity"] += args.stock_boost
    shops.start()
    workdir = Path(tempfile.mkdtemp(prefix="orderbot-bench-"))
    try:
        seeded = time.perf_counter()
        shops.tiktok.seed_orders(n)
        log(f"{n:,} orders seeded in {time.perf_counter() - seeded:.1f}s; fetching in a child")
        env = {
            **os.environ,
            **shops.environment(),
            "DATABASE_URL": f"sqlite:///{workdir / 'orderbot.db'}",
            "ORDERBOT_SECRET_KEY": SECRET_KEY,
            "ORDERBOT_TIKTOK_RATE": str(FAST),
            "ORDERBOT_ETSY_RATE": str(FAST),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "COLUMNS": "100",
        }
        output = workdir / "fetch.log"
        started = time.perf_counter()
        # cwd: a directory without a `.env`, so only this environment configures the child
        child = launcher.run(fetch_command(), env=env, cwd=workdir, out=output)
        wall = time.perf_counter() - started
        text = output.read_text(errors="replace")
        if child["code"] != 0:
            raise SystemExit(f"orderbot fetch exited {child['code']}:\n{text[-3000:]}")
        etsy_calls = len(shops.etsy.calls)
        tiktok_calls = len(shops.tiktok.calls)
        summary = [line for line in text.splitlines() if line.strip()][-12:]
    finally:
        shops.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    peak_mb = child["maxrss_kb"] / 1024  # kilobytes on Linux
    log(f"  peak RSS {peak_mb:.1f} MB, {wall:.0f}s, {etsy_calls:,} Etsy calls")
    return {
        "peak_rss_mb": round(peak_mb, 1),
        "vm_hwm_mb": round(child["hwm_kb"] / 1024, 1),
        "fetch_cpu_s": round(child["cpu_s"], 1),
        "cpu_ms_per_order": round(child["cpu_s"] * 1000 / n, 3),
        "wall_s": round(wall, 1),
        "etsy_calls": etsy_calls,
        "tiktok_calls": tiktok_calls,
        "summary_tail": summary,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--listings", type=int, default=100)
    parser.add_argument("--stock-boost", type=int, default=900)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    launcher = Launcher()  # before any sandbox exists, while this process is small
    try:
        runs = {label(n): measure(n, args, launcher) for n in sizes}
    finally:
        launcher.close()
    small, large = label(min(sizes)), label(max(sizes))
    result = {f"peak_rss_mb_{name}": run["peak_rss_mb"] for name, run in runs.items()}
    ratio = runs[large]["peak_rss_mb"] / runs[small]["peak_rss_mb"]
    cpu_ratio = runs[large]["cpu_ms_per_order"] / runs[small]["cpu_ms_per_order"]
    emit(
        "fetch_memory",
        {
            **result,
            "ratio_100k_10k": round(ratio, 2),
            "ratio_sizes": [large, small],
            # CPU per order stays flat as the tables grow (issue 10, migration 0008).
            "cpu_per_order_ratio": round(cpu_ratio, 2),
            "targets": {
                "peak_rss_mb_100k<=250": runs[large]["peak_rss_mb"] <= 250,
                "ratio_100k_10k<=1.5": ratio <= 1.5,
                "cpu_per_order_ratio<=1.2": cpu_ratio <= 1.2,
            },
            "params": {"listings": args.listings, "stock_boost": args.stock_boost},
            "runs": runs,
        },
    )


if __name__ == "__main__":
    main()
