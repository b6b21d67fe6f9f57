"""`/orders status` at 10k, 100k and 1M orders, on SQLite and PostgreSQL: p50/p99.

What is timed is `commands.execute.execute(Status(section, page), ctx)`, the function the Slack
listener and `orderbot exec` call: the section counts, one page of orders, their line items and
reservations, and the Reply built from them (rendering to Block Kit is not included).

The orders are bulk-inserted with set-based SQL (`_common.fill_orders`): 1-3 line items per
order, a reservation per line of placed orders, a mature shop's section mix (85% completed).
Each measured round asks for every section and `all`, at each of `--pages`; a second workload
asks for the deepest page the parser accepts (`/orders status all 10000`, and the same for the
biggest section) and is reported on its own.

    .venv/bin/python bench/status_query.py [--sizes 10000,100000,1000000]
                                           [--backends sqlite,postgresql]
"""

import argparse
import time

from _common import (
    POSTGRES_ADMIN_URL,
    SHOP_ID,
    emit,
    fill_orders,
    latency_summary,
    log,
    migrated,
    percentile,
    postgres_url,
    sqlite_url,
)

from commands import views
from commands.context import Actor, Context, Services
from commands.execute import execute
from commands.parse import MAX_PAGE
from commands.types import Status
from storage import queries
from storage.db import session_factory
from sync.clock import utc_now
from sync.sections import Section

LABELS = {10_000: "10k", 100_000: "100k", 1_000_000: "1m"}


def label(n: int) -> str:
    return LABELS.get(n, str(n))


def measure(url: str, n: int, *, pages: list[int], rounds: int, deep_rounds: int) -> dict:
    db = migrated(url)
    try:
        started = time.perf_counter()
        counts = fill_orders(db, n)
        fill_s = time.perf_counter() - started
        log(f"  {db.dialect.name} {n:,} orders inserted in {fill_s:.1f}s")
        sessions = session_factory(db)
        services = Services(engine=None, sessions=sessions, shop_id=SHOP_ID, clock=utc_now)
        ctx = Context(services=services, actor=Actor(id="U0BENCH", is_admin=False))
        slugs: list[Section | None] = [None, *Section]
        workload = [Status(section, page) for page in pages for section in slugs]

        def run(command: Status) -> float:
            t0 = time.perf_counter()
            reply = execute(command, ctx)
            elapsed = time.perf_counter() - t0
            assert reply.ok, reply.text
            return elapsed

        for command in workload:  # warm the cache and the pool; not counted
            run(command)
        samples = [run(command) for _ in range(rounds) for command in workload]

        count_samples = []
        for _ in range(rounds * 10):
            t0 = time.perf_counter()
            with sessions() as session:
                queries.section_counts(session, shop_id=SHOP_ID)
            count_samples.append(time.perf_counter() - t0)

        biggest = max(counts, key=counts.get)
        deep = []
        for section, total in ((None, n), (Section(biggest), counts[biggest])):
            last = min(MAX_PAGE, max(1, -(-total // views.PAGE_SIZE)))
            deep.append(Status(section, last))
        run(deep[0])
        deep_samples = [run(command) for _ in range(deep_rounds) for command in deep]
        return {
            "fill_s": round(fill_s, 1),
            "status": latency_summary(samples),
            "counts_only": latency_summary(count_samples),
            "deep_page": {
                "pages": {(c.section.value if c.section else "all"): c.page for c in deep},
                **latency_summary(deep_samples),
            },
            "_p99": percentile(samples, 99),
        }
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pages", default="1,2,5", help="pages asked for, per section")
    parser.add_argument("--rounds", type=int, default=20, help="passes over the workload")
    parser.add_argument("--deep-rounds", type=int, default=5)
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    pages = [int(page) for page in args.pages.split(",")]

    results: dict[str, dict[str, dict]] = {}
    for backend in backends:
        results[backend] = {}
        for n in sizes:
            log(f"{backend}: {n:,} orders")
            database = sqlite_url() if backend == "sqlite" else postgres_url(args.postgres_url)
            with database as url:
                results[backend][label(n)] = measure(
                    url, n, pages=pages, rounds=args.rounds, deep_rounds=args.deep_rounds
                )
            log(f"  status p99 {results[backend][label(n)]['status']['p99_ms']} ms")

    p99 = {b: {size: r["status"]["p99_ms"] for size, r in by.items()} for b, by in results.items()}
    p50 = {b: {size: r["status"]["p50_ms"] for size, r in by.items()} for b, by in results.items()}
    ratio = {}
    for backend, by in results.items():
        small, large = label(min(sizes)), label(max(sizes))
        ratio[backend] = round(by[large]["_p99"] / by[small]["_p99"], 2)
        for r in by.values():
            del r["_p99"]
    emit(
        "status_query",
        {
            "p99_ms": p99,
            "p50_ms": p50,
            # p99 at the largest size over p99 at the smallest (1M / 10k with the defaults)
            "ratio_1m_10k": ratio,
            "ratio_sizes": [label(max(sizes)), label(min(sizes))],
            "targets": {"p99_ms_at_1m": 250, "ratio_1m_10k": 2},
            "workload": {
                "command": "execute(Status(section, page), ctx)",
                "sections": "all + 8 sections",
                "pages": pages,
                "rounds": args.rounds,
                "cache": "warm (one unmeasured pass first)",
            },
            "detail": results,
        },
    )


if __name__ == "__main__":
    main()
