"""Fetch throughput against the rate limits: the engine versus a naive baseline.

Both sandbox marketplaces run on loopback with injected latency on every call and their rate
limits (Etsy `rate_per_s`, TikTok's per-API bucket); orderbot's clients are held to the same
limits (ORDERBOT_ETSY_RATE, ORDERBOT_TIKTOK_RATE). One `Engine.fetch()` stores N TikTok orders
and places the placeable ones on Etsy. Its wall time is compared with the rate-limit lower bound:

    bound = max(TikTok calls / TikTok rate,
                (Etsy index pages + 2 x distinct listings per placement batch) / Etsy rate)

where the batches are read from the Etsy calls the sandbox recorded (a run of inventory GETs
followed by their PUTs is one batch). `efficiency = bound / wall`.

The naive baseline, in the same run, on a fresh pair of emulators with the same seed, catalog,
latency and limits, uses the real clients: it pages the orders, builds the same SKU index, then
takes orders one by one and for each line item reads the listing's inventory and writes it back
with one unit less (`sync.etsy.inventory.put_body`). It stores nothing. At 10 Etsy requests/s a
naive pass over 5,000 orders needs ~17k Etsy calls (~30 min), so it processes a systematic
sample of `--naive-orders` (every k-th order of the same stream) and extrapolates linearly:

    naive_wall = paging time (all N orders, measured) + index time (measured)
                 + per-order time of the sample x N

    .venv/bin/python bench/fetch_throughput.py [--orders 5000] [--listings 100] [--batch-size 1000]
"""

import argparse
import re
import time
from collections import Counter

from _common import SECRET_KEY, emit, log, postgres_url, sqlite_url

from orderbot.compose import build_core
from orderbot.settings import Settings
from sandbox.marketplaces import Marketplaces
from sync.etsy.client import EtsyClient
from sync.etsy.inventory import products, put_body
from sync.skus import INDEXED_STATES
from sync.tiktok.client import TikTokClient
from sync.tokens import MemoryTokenStore, Tokens

INVENTORY = re.compile(r"^/v3/application/listings/(\d+)/inventory$")
INDEX_PAGE = re.compile(r"^/v3/application/shops/[^/]+/listings$")


def start_marketplaces(args) -> Marketplaces:
    """Started emulators with latency, limits, extra stock and N seeded orders."""
    shops = Marketplaces(
        seed=args.seed,
        listings=args.listings,
        tiktok_options={"rate_per_s": args.tiktok_rate},
        etsy_options={"rate_per_s": _whole(args.etsy_server_rate or args.etsy_rate)},
    )
    # Every stocked offering gets `--stock-boost` more units (shared SKUs stay equal, the
    # staged sold-out and uneven-quantity cases stay as they are), so that the run measures
    # placing orders, not running out of stock.
    for listing in shops.catalog.listings:
        for product in listing["inventory"]["products"]:
            for offering in product["offerings"]:
                if offering["quantity"] > 0:
                    offering["quantity"] += args.stock_boost
    shops.start()
    shops.tiktok.faults.update(latency_ms=args.latency_ms)
    shops.etsy.faults.update({"latency_ms": args.latency_ms})
    shops.tiktok.seed_orders(args.orders)
    return shops


def _whole(rate: float) -> int | float:
    return int(rate) if float(rate).is_integer() else rate


def etsy_shape(calls) -> dict:
    """Index pages, placement batches and 429s from the Etsy calls, in the order they came."""
    index_pages, throttled, other = 0, 0, Counter()
    batches: list[set[int]] = []
    last = None
    for call in calls:
        if call.status == 429:
            throttled += 1
            continue
        found = INVENTORY.match(call.path)
        if found and call.method in ("GET", "PUT"):
            if call.method == "GET" and last != "GET":
                batches.append(set())
            if not batches:
                batches.append(set())
            batches[-1].add(int(found.group(1)))
            last = call.method
        elif INDEX_PAGE.match(call.path) and call.method == "GET":
            index_pages += 1
        else:
            other[f"{call.method} {call.path}"] += 1
    per_batch = [len(batch) for batch in batches]
    return {
        "index_pages": index_pages,
        "throttled_429": throttled,
        "other_calls": sum(other.values()),
        "batches": len(batches),
        "listings_per_batch": per_batch,
        "listing_batches": sum(per_batch),
        "distinct_listings": len(set().union(*batches)) if batches else 0,
    }


def etsy_timeline(answered: list[tuple[float, str]], started: float, wall: float, rate: float):
    """Where the wall time went, seen from the Etsy client: waits longer than the client's own
    spacing (1/rate) between two Etsy answers, and the time before the first and after the last."""
    etsy = [at for at, platform in answered if platform == "etsy"]
    if not etsy:
        return None
    gaps = [b - a for a, b in zip(etsy, etsy[1:], strict=False)]
    slack = 1.0 / rate + 0.05
    long_gaps = [gap for gap in gaps if gap > 0.9]
    return {
        "before_first_s": round(etsy[0] - started, 2),
        "after_last_s": round(started + wall - etsy[-1], 2),
        "median_gap_ms": round(sorted(gaps)[len(gaps) // 2] * 1000, 1) if gaps else None,
        "gaps_over_spacing": sum(1 for gap in gaps if gap > slack),
        "gaps_over_spacing_s": round(sum(gap - 1.0 / rate for gap in gaps if gap > slack), 2),
        "gaps_over_0_9s": len(long_gaps),
        "gaps_over_0_9s_total_s": round(sum(long_gaps), 2),
    }


def run_engine(args) -> dict:
    shops = start_marketplaces(args)
    database = sqlite_url() if args.backend == "sqlite" else postgres_url(args.postgres_url)
    try:
        with database as url:
            if args.backend != "sqlite":
                from storage.db import make_engine, migrate

                migrate(make_engine(url))
            settings = Settings(
                _env_file=None,
                **shops.environment(),
                DATABASE_URL=url,
                ORDERBOT_SECRET_KEY=SECRET_KEY,
                ORDERBOT_ETSY_RATE=str(args.etsy_rate),
                ORDERBOT_TIKTOK_RATE=str(args.tiktok_rate),
            )
            answered: list[tuple[float, str]] = []  # (when, platform), once per attempt

            def on_call(platform: str, _endpoint: str, _outcome: str) -> None:
                answered.append((time.perf_counter(), platform))

            core = build_core(
                settings, client_options={"on_call": on_call}, batch_size=args.batch_size
            )
            try:
                shops.tiktok.reset_calls()
                shops.etsy.reset_calls()
                log(f"engine: fetching {args.orders:,} orders (batch_size {args.batch_size})")
                started = time.perf_counter()
                summary = core.services.engine.fetch()
                wall = time.perf_counter() - started
            finally:
                core.close()
        tiktok_calls = list(shops.tiktok.calls)
        etsy_calls = list(shops.etsy.calls)
    finally:
        shops.stop()
    shape = etsy_shape(etsy_calls)
    min_etsy = shape["index_pages"] + 2 * shape["listing_batches"]
    tiktok_bound = len(tiktok_calls) / args.tiktok_rate
    etsy_bound = min_etsy / args.etsy_rate
    bound = max(tiktok_bound, etsy_bound)
    return {
        "wall_s": round(wall, 2),
        "bound_s": round(bound, 2),
        "etsy_timeline": etsy_timeline(answered, started, wall, args.etsy_rate),
        "tiktok_bound_s": round(tiktok_bound, 2),
        "etsy_bound_s": round(etsy_bound, 2),
        "tiktok_calls": len(tiktok_calls),
        "tiktok_429": sum(1 for call in tiktok_calls if call.status == 429),
        "etsy_calls": len(etsy_calls),
        "etsy_min_calls": min_etsy,
        "shape": shape,
        "summary": {
            "orders": summary.orders,
            "new": summary.new,
            "placed": summary.placed,
            "failed": summary.failed,
            "error": summary.error,
        },
    }


def tied_products(inventory: dict, sku: str) -> list:
    """The products whose quantity moves with `sku`'s: those with the same values for the
    properties in `quantity_on_property` (all of them when it is empty: one shared stock)."""
    every = products(inventory)
    quantity_on = set(inventory.get("quantity_on_property") or ())

    def quantity_key(product) -> tuple:
        return tuple(value for value in product.key if value[0] in quantity_on)

    keys = {quantity_key(p) for p in every if p.sku == sku}
    return [p for p in every if quantity_key(p) in keys]


def run_naive(args) -> dict:
    shops = start_marketplaces(args)
    try:
        env = shops.environment()
        tiktok = TikTokClient(
            app_key=env["TIKTOK_APP_KEY"],
            app_secret=env["TIKTOK_APP_SECRET"],
            tokens=MemoryTokenStore(
                Tokens(env["TIKTOK_ACCESS_TOKEN"], env["TIKTOK_REFRESH_TOKEN"], None)
            ),
            base_url=env["TIKTOK_API_URL"],
            auth_url=env["TIKTOK_AUTH_URL"],
            rate_per_s=args.tiktok_rate,
        )
        etsy = EtsyClient(
            api_key=env["ETSY_API_KEY"],
            shared_secret=env["ETSY_SHARED_SECRET"],
            tokens=MemoryTokenStore(
                Tokens(env["ETSY_ACCESS_TOKEN"], env["ETSY_REFRESH_TOKEN"], None)
            ),
            shop_id=env["ETSY_SHOP_ID"],
            base_url=env["ETSY_API_URL"],
            rate_per_s=args.etsy_rate,
        )
        shops.tiktok.reset_calls()
        shops.etsy.reset_calls()
        log(f"naive: paging {args.orders:,} orders, then {args.naive_orders} of them one by one")
        started = time.perf_counter()
        now = int(time.time())
        orders = [
            order
            for page in tiktok.search_orders(
                update_time_ge=now - 7 * 86400, update_time_lt=now + 1, page_size=100
            )
            for order in page.orders
        ]
        paged = time.perf_counter()

        by_sku: dict[str, set[int]] = {}
        for state in INDEXED_STATES:
            for page in etsy.iter_listing_pages(state=state):
                for listing in page:
                    for product in products(listing.get("inventory") or {}):
                        if product.sku:
                            by_sku.setdefault(product.sku, set()).add(int(listing["listing_id"]))
        index = {sku: ids.pop() for sku, ids in by_sku.items() if len(ids) == 1}
        indexed = time.perf_counter()
        etsy_before = len(shops.etsy.calls)

        step = max(1, len(orders) // args.naive_orders)
        sample = orders[::step][: args.naive_orders]
        placed_units = 0
        for order in sample:
            if order.status != "AWAITING_SHIPMENT" or order.fulfillment_type.endswith("TIKTOK"):
                continue
            for item in order.line_items:
                listing_id = index.get(item.seller_sku)
                if listing_id is None:
                    continue
                inventory = etsy.get_inventory(listing_id)
                group = tied_products(inventory, item.seller_sku)
                if not group or len({p.quantity for p in group}) > 1 or group[0].quantity < 1:
                    continue
                wanted = {p.key: p.quantity - 1 for p in group}
                etsy.update_inventory(listing_id, put_body(inventory, wanted))
                placed_units += 1
        done = time.perf_counter()
        tiktok.close()
        etsy.close()
        sample_etsy_calls = len(shops.etsy.calls) - etsy_before
        throttled = sum(1 for call in shops.etsy.calls if call.status == 429)
    finally:
        shops.stop()
    per_order = (done - indexed) / len(sample)
    return {
        "naive_orders": len(sample),
        "sample": f"1 in {step} of the {len(orders):,} orders paged",
        "paging_s": round(paged - started, 2),
        "index_s": round(indexed - paged, 2),
        "sample_s": round(done - indexed, 2),
        "per_order_s": round(per_order, 4),
        "sample_etsy_calls": sample_etsy_calls,
        "sample_units_placed": placed_units,
        "etsy_429": throttled,
        "naive_wall_s": round((paged - started) + (indexed - paged) + per_order * len(orders), 1),
        "extrapolated": True,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--listings", type=int, default=100, help="Etsy listings (at least 8)")
    parser.add_argument("--latency-ms", type=int, default=20, help="added to every call")
    parser.add_argument("--etsy-rate", type=float, default=10.0, help="requests/s")
    parser.add_argument("--tiktok-rate", type=float, default=50.0, help="requests/s")
    parser.add_argument(
        "--etsy-server-rate",
        type=int,
        default=None,
        help="diagnostic only: the Etsy sandbox's own limit, when it should differ from "
        "--etsy-rate (the client's); default: the same",
    )
    parser.add_argument("--batch-size", type=int, default=1000, help="the engine's batch_size")
    parser.add_argument("--naive-orders", type=int, default=150, help="naive sample size")
    parser.add_argument("--stock-boost", type=int, default=900)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()

    engine = run_engine(args)
    log(f"engine: {engine['wall_s']}s, bound {engine['bound_s']}s")
    naive = run_naive(args) if args.naive_orders > 0 else None
    if naive:
        log(f"naive: {naive['per_order_s']}s per order, ~{naive['naive_wall_s']}s extrapolated")

    efficiency = engine["bound_s"] / engine["wall_s"]
    speedup = naive["naive_wall_s"] / engine["wall_s"] if naive else None
    calls_ok = engine["etsy_calls"] <= engine["etsy_min_calls"]
    emit(
        "fetch_throughput",
        {
            "efficiency": round(efficiency, 3),
            "speedup": round(speedup, 2) if speedup else None,
            "etsy_calls": engine["etsy_calls"],
            "tiktok_calls": engine["tiktok_calls"],
            "distinct_listings": engine["shape"]["distinct_listings"],
            "wall_s": engine["wall_s"],
            "naive_wall_s": naive["naive_wall_s"] if naive else None,
            "naive_extrapolated": True,
            "naive_orders": naive["naive_orders"] if naive else 0,
            "naive_per_order_s": naive["per_order_s"] if naive else None,
            "bound_s": engine["bound_s"],
            "etsy_min_calls": engine["etsy_min_calls"],
            "targets": {
                "efficiency>=0.8": efficiency >= 0.8,
                "etsy_calls<=index+2*listings_per_batch": calls_ok,
                "speedup>=5": bool(speedup and speedup >= 5),
            },
            "params": {
                "orders": args.orders,
                "listings": args.listings,
                "latency_ms": args.latency_ms,
                "etsy_rate": args.etsy_rate,
                "tiktok_rate": args.tiktok_rate,
                "etsy_server_rate": args.etsy_server_rate or args.etsy_rate,
                "batch_size": args.batch_size,
                "stock_boost": args.stock_boost,
                "seed": args.seed,
                "backend": args.backend,
            },
            "engine": engine,
            "naive": naive,
        },
    )


if __name__ == "__main__":
    main()
