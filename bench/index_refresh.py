"""The SKU index's cost in Etsy calls and wall time, and what it projects to per day.

For each shop size N, an Etsy emulator on loopback at its default rate (10 requests/s) with
`--latency-ms` injected on every call, a catalog of N listings (3% sold out and 2% inactive,
made an hour before the run), a fresh SQLite database, and orderbot's EtsyClient at its default
rate (ORDERBOT_ETSY_RATE 10). Measured, counting the calls the emulator recorded:

- `first_build`: the first refresh, a full walk of every indexed state;
- `idle_refresh`: a refresh with nothing changed on Etsy;
- `changed_<k>`: a refresh after k listings had a stock edit (for each `--changes` k).

Projection for the largest N at a fetch every `--interval-min` minutes (one refresh each):
one full rebuild a day and incremental refreshes the rest of the day,

    calls/day = (fetches/day - 1) x refresh calls + first_build calls

idle, and at `--changes-per-fetch` changed listings per fetch (measured as its own run). The
previous design (an in-process index rebuilt past a 10-minute TTL) is shown for comparison:
144 full walks a day for `orderbot run`, one per fetch for `orderbot fetch` processes.

    .venv/bin/python bench/index_refresh.py [--sizes 300,3000] [--latency-ms 150]
"""

import argparse
import random
import time
from datetime import timedelta

from _common import SHOP_ID, emit, log, migrated, sqlite_url

from sandbox.etsy import EtsySandbox
from sandbox.seed import make_catalog
from storage.db import session_factory
from sync.clock import utc_now
from sync.etsy.client import EtsyClient
from sync.etsy_index import EtsyIndex, IndexPass
from sync.leases import Leases
from sync.tokens import MemoryTokenStore, Tokens

DAY_MIN = 24 * 60


def calls_of(etsy: EtsySandbox) -> int:
    return sum(1 for call in etsy.calls if call.path.startswith("/v3/application/"))


def measure(etsy: EtsySandbox, index: EtsyIndex) -> dict:
    etsy.reset_calls()
    started = time.perf_counter()
    run = index.refresh(IndexPass())
    wall = time.perf_counter() - started
    (refresh,) = run.done
    return {
        "kind": str(refresh.kind),
        "why": refresh.why,
        "etsy_calls": calls_of(etsy),
        "wall_s": round(wall, 2),
        "listings_read": refresh.read,
        "listings_changed": len(refresh.changes.listings),
        "sku_changes": len(refresh.changes.skus),
    }


def change(etsy: EtsySandbox, rng: random.Random, k: int) -> None:
    """k stock edits on k different active listings, as a seller or Etsy sales would make."""
    active = [item for item in etsy.store.all() if item.state == "active"]
    for listing in rng.sample(active, k):
        product = next(p for p in listing.products if p.sku)
        etsy.set_quantity(listing.listing_id, product.sku, rng.randrange(1, 40))


def shop_of(n: int, args) -> EtsySandbox:
    etsy = EtsySandbox(per_day=1_000_000)  # the default 10 requests/s; a day's quota to spare
    etsy.start()
    etsy.load_catalog(make_catalog(seed=args.seed, n_listings=n).listings)
    etsy.clock.set_offset(-3600)  # the shop's last edits were an hour ago, not this second
    rng = random.Random(args.seed)
    listings = [item for item in etsy.store.all() if item.state == "active"]
    for listing in rng.sample(listings, n * 3 // 100):  # sold out
        for product in listing.products:
            if product.sku:
                etsy.set_quantity(listing.listing_id, product.sku, 0)
    for listing in rng.sample([item for item in listings if item.state == "active"], n // 50):
        etsy.set_state(listing.listing_id, "inactive")
    etsy.clock.set_offset(0)
    etsy.faults.update({"latency_ms": args.latency_ms})
    return etsy


def run_size(n: int, args) -> dict:
    etsy = shop_of(n, args)
    rng = random.Random(args.seed + n)
    try:
        with sqlite_url() as url:
            db = migrated(url)
            sessions = session_factory(db)
            tokens = etsy.issue_tokens()
            client = EtsyClient(
                api_key=etsy.keystring,
                shared_secret=etsy.shared_secret,
                tokens=MemoryTokenStore(
                    Tokens(tokens["access_token"], tokens["refresh_token"], None)
                ),
                shop_id=etsy.shop_id,
                base_url=etsy.url,
                rate_per_s=args.etsy_rate,
            )
            index = EtsyIndex(
                sessions=sessions,
                shop_id=SHOP_ID,
                etsy=client,
                clock=utc_now,
                leases=Leases(sessions, utc_now),
                full_every=timedelta(days=1),
            )
            log(f"{n} listings: first build")
            result = {"listings": n, "first_build": measure(etsy, index)}
            log(f"{n} listings: idle refresh")
            result["idle_refresh"] = measure(etsy, index)
            for k in sorted({*args.changes, args.changes_per_fetch}):
                etsy.clock.advance(2)  # Etsy timestamps are whole seconds
                change(etsy, rng, k)
                log(f"{n} listings: refresh after {k} changed")
                result[f"changed_{k}"] = measure(etsy, index)
            client.close()
            db.dispose()
    finally:
        etsy.stop()
    return result


def projection(biggest: dict, args) -> dict:
    fetches = DAY_MIN // args.interval_min
    full = biggest["first_build"]["etsy_calls"]
    idle = biggest["idle_refresh"]["etsy_calls"]
    busy = biggest[f"changed_{args.changes_per_fetch}"]["etsy_calls"]
    return {
        "listings": biggest["listings"],
        "fetch_interval_min": args.interval_min,
        "fetches_per_day": fetches,
        "assumed_changes_per_fetch": args.changes_per_fetch,
        "assumption": (
            f"{args.changes_per_fetch} listings changed per fetch (~"
            f"{args.changes_per_fetch * fetches:,} a day: Etsy sales, seller edits and "
            "orderbot's own reservations), one full rebuild a day, no missing-SKU rebuilds"
        ),
        "index_calls_per_day_idle": (fetches - 1) * idle + full,
        "index_calls_per_day_with_changes": (fetches - 1) * busy + full,
        "previous_design_calls_per_day": {
            "orderbot_run_ttl_10min": DAY_MIN // 10 * full,
            "orderbot_fetch_processes": fetches * full,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="300,3000")
    parser.add_argument("--latency-ms", type=int, default=150)
    parser.add_argument("--etsy-rate", type=float, default=10.0)
    parser.add_argument("--changes", default="10,150", help="k listings changed, comma-separated")
    parser.add_argument("--changes-per-fetch", type=int, default=5)
    parser.add_argument("--interval-min", type=int, default=5)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    args.changes = [int(k) for k in args.changes.split(",") if k]
    sizes = [int(n) for n in args.sizes.split(",")]
    results = [run_size(n, args) for n in sizes]
    emit(
        "index_refresh",
        {
            "params": {
                "sizes": sizes,
                "latency_ms": args.latency_ms,
                "etsy_rate_per_s": args.etsy_rate,
                "sandbox_rate_per_s": 10,
                "changes": args.changes,
                "database": "sqlite",
            },
            "results": results,
            "projection": projection(max(results, key=lambda r: r["listings"]), args),
        },
    )


if __name__ == "__main__":
    main()
