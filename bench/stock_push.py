"""Stock push: after an Etsy-side change on N listings, what the next fetch pushes to TikTok,
the TikTok calls it takes and the time until TikTok shows the new quantities.

Both emulators on loopback at their default rates (TikTok 50 requests/s, Etsy 10/s) with
`--latency-ms` on every call, a catalog of `--listings` listings, a fresh SQLite database, and
orderbot at its default settings with ORDERBOT_STOCK_PUSH=on (buffer 0). Measured:

- `first_cycle`: the first fetch with push on (index built, every matched SKU set once);
- `idle`: a fetch with nothing changed on Etsy;
- `changed_<n>`: a fetch after stock edits on n different listings (each `--changes` n).
  `tiktok_current_s` runs from the last edit until TikTok shows every new quantity, with the
  fetch started right after the edits (a scheduler tick later adds up to one fetch interval).
  Target: one Update Inventory per changed product, TikTok current within one fetch.

The seeded products were all created at the start, so every catalogue refresh here re-reads
them all (its overlap covers them): a shop's older products are not re-read.

    .venv/bin/python bench/stock_push.py [--listings 300] [--changes 1,10,50] [--latency-ms 150]
"""

import argparse
import random
import time
from collections import Counter

from _common import SECRET_KEY, emit, log, migrated, sqlite_url

from orderbot.compose import build_core
from orderbot.settings import Settings
from sandbox.marketplaces import Marketplaces

UPDATE = "/inventory/update"


def timed(pusher) -> list[float]:
    """Record the wall time of each push cycle the fetches run."""
    spent: list[float] = []
    cycle = pusher.cycle

    def timed_cycle():
        started = time.perf_counter()
        try:
            return cycle()
        finally:
            spent.append(time.perf_counter() - started)

    pusher.cycle = timed_cycle
    return spent


def tiktok_levels(shops) -> dict[str, int]:
    return {
        sku["seller_sku"]: sum(row["quantity"] for row in sku["inventory"])
        for product in shops.tiktok.products()
        for sku in product["skus"]
    }


def measure(core, shops, spent: list[float], wanted: dict[str, int], changed_at: float) -> dict:
    shops.tiktok.reset_calls()
    shops.etsy.reset_calls()
    engine = core.services.engine
    started = time.perf_counter()
    summary = engine.fetch()
    fetched = time.perf_counter()
    report = engine.stock.last
    levels = tiktok_levels(shops)
    calls = Counter(
        "update_inventory" if c.path.endswith(UPDATE) else c.path for c in shops.tiktok.calls
    )
    products = {c.path.split("/")[4] for c in shops.tiktok.calls if c.path.endswith(UPDATE)}
    return {
        "skus_pushed": report.pushed,
        "failed": report.failed,
        "products_pushed": len(products),
        "update_inventory_calls": calls.pop("update_inventory", 0),
        "other_tiktok_calls": dict(calls),
        "etsy_calls": sum(1 for c in shops.etsy.calls if c.path.startswith("/v3/application/")),
        "fetch_s": round(fetched - started, 2),
        "push_cycle_s": round(spent[-1], 2),
        "tiktok_current": all(levels[sku] == qty for sku, qty in wanted.items()),
        "tiktok_current_s": round(fetched - changed_at, 2),
        "fetch_error": summary.error,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listings", type=int, default=300)
    parser.add_argument("--changes", default="1,10,50")
    parser.add_argument("--latency-ms", type=int, default=150)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with Marketplaces(seed=args.seed, listings=args.listings) as shops, sqlite_url() as url:
        migrated(url).dispose()
        settings = Settings(
            _env_file=None,
            **shops.environment(),
            DATABASE_URL=url,
            ORDERBOT_SECRET_KEY=SECRET_KEY,
            ORDERBOT_STOCK_PUSH="on",
        )
        core = build_core(settings)
        spent = timed(core.services.engine.stock)
        shops.tiktok.faults.update(latency_ms=args.latency_ms)
        shops.etsy.faults.update({"latency_ms": args.latency_ms})
        cases = shops.catalog.cases
        unique = [sku for sku in cases["unique"] if sku not in cases["two_warehouses"]]
        listing_of = {sku: lid for (lid, sku, _), _q in shops.etsy.quantities().items()}
        result: dict = {"listings": args.listings, "latency_ms": args.latency_ms}
        try:
            log("first cycle")
            result["first_cycle"] = measure(core, shops, spent, {}, time.perf_counter())
            core.services.engine.fetch()  # reads back the products the first cycle set
            log("idle")
            result["idle"] = measure(core, shops, spent, {}, time.perf_counter())
            for n in sorted(int(part) for part in args.changes.split(",")):
                shops.clock.advance(2)  # Etsy timestamps are whole seconds
                before = {sku: q for (_, sku, _), q in shops.etsy.quantities().items()}
                wanted = {}
                for sku in rng.sample(unique, n):
                    wanted[sku] = (before[sku] + rng.randrange(1, 40)) % 40  # a real change
                    shops.etsy.set_quantity(listing_of[sku], sku, wanted[sku])
                log(f"{n} changed")
                result[f"changed_{n}"] = measure(core, shops, spent, wanted, time.perf_counter())
        finally:
            core.close()
    emit("stock_push", result)


if __name__ == "__main__":
    main()
