"""Fetch throughput against the rate limits, the product as shipped, versus a naive client.

Both sandbox marketplaces run on loopback with injected latency on every call and their rate
limits (Etsy `rate_per_s`, TikTok's per-API bucket); orderbot's clients are held to the same
limits (ORDERBOT_ETSY_RATE, ORDERBOT_TIKTOK_RATE). Every other setting is the default: this is
what a seller gets. One `Engine.fetch()` stores N TikTok orders and places the placeable ones on
Etsy; then `--idle-fetches` more fetches find nothing new. The wall time of the first is compared
with what the rate limits allow for the calls that cannot be avoided:

    min Etsy calls = index pages + one write per listing touched + the reads the engine chose
                     (one getListingsByListingIds per 100 listings to plan on, one per
                     WRITE_GROUP listings just before their writes)
    issue_bound    = 2 x listings written / Etsy rate   (one read and one write per listing)
    etsy_bound     = min Etsy calls / Etsy rate
    physical_bound = max(paging floor + writes / Etsy rate, etsy_bound)
    paging floor   = max(2 x latency, TikTok calls / TikTok rate)

`efficiency = issue_bound / wall` is the issue's target (>= 0.8); `etsy_rate_efficiency`
and `physical_efficiency` are against the stricter bounds. The physical bound: every write
needs every order read first (one write per listing per fetch), but the reading need not be
one chain of pages: a window split by update time can be paged by as many chains as TikTok's
rate allows, so its floor is a search and a Get Order Detail round trip, or TikTok's calls at
its rate if that is longer. (orderbot pages from both ends, two chains.)

The naive client (the issue's table), in the same run, on a fresh pair of emulators with the
same seed, catalog, latency and limits, uses the real clients sequentially: it pages all the
orders (no details), builds the same SKU index, adds up the units each listing's placeable
orders take, then reads each listing's inventory and writes it back once with those units less
(`sync.etsy.inventory.put_body`). It stores nothing, journals nothing and checks nothing, so
it is a floor for a sequential client, measured whole (not sampled).

    .venv/bin/python bench/fetch_throughput.py [--orders 2000] [--listings 40] [--latency-ms 150]
    .venv/bin/python bench/fetch_throughput.py --orders 20000 --listings 100 --no-naive
"""

import argparse
import re
import time
from collections import Counter
from functools import partial

from _common import SECRET_KEY, emit, log, postgres_url, sqlite_url
from _remote_shops import RemoteShops

from orderbot.compose import build_core
from orderbot.settings import Settings
from sandbox.marketplaces import Marketplaces
from sync.engine.placing import WRITE_GROUP
from sync.etsy.client import MAX_BATCH, EtsyClient
from sync.etsy.inventory import products, put_body
from sync.skus import INDEXED_STATES
from sync.tiktok.client import TikTokClient
from sync.tokens import MemoryTokenStore, Tokens

INVENTORY = re.compile(r"^/v3/application/listings/(\d+)/inventory$")
BATCH_READ = "/v3/application/listings/batch"
INDEX_PAGE = re.compile(r"^/v3/application/shops/[^/]+/listings$")
SEARCH = "/order/202309/orders/search"


def start_marketplaces(args) -> Marketplaces:
    """Started emulators with latency, limits, extra stock and N seeded orders (in the child
    process `RemoteShops` starts: the marketplaces never share the client's interpreter)."""
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
    """The Etsy calls by kind; 429s apart."""
    shape = Counter()
    written: set[int] = set()
    for call in calls:
        if call.status == 429:
            shape["throttled_429"] += 1
            continue
        found = INVENTORY.match(call.path)
        if found and call.method == "PUT":
            shape["inventory_puts"] += 1
            written.add(int(found.group(1)))
        elif found and call.method == "GET":
            shape["inventory_gets"] += 1
        elif call.path == BATCH_READ:
            shape["batch_reads"] += 1
        elif INDEX_PAGE.match(call.path) and call.method == "GET":
            shape["index_pages"] += 1
        else:
            shape["other_calls"] += 1
    return {
        key: shape[key]
        for key in (
            "index_pages",
            "batch_reads",
            "inventory_gets",
            "inventory_puts",
            "other_calls",
            "throttled_429",
        )
    } | {"listings_written": len(written)}


def min_etsy_calls(shape: dict) -> int:
    """Index pages + one write per listing touched + the reads the engine's design needs."""
    listings = shape["listings_written"]
    reads = -(-listings // MAX_BATCH) + -(-listings // WRITE_GROUP)
    return shape["index_pages"] + listings + reads


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
    shops = RemoteShops(partial(start_marketplaces, args))
    database = sqlite_url() if args.backend == "sqlite" else postgres_url(args.postgres_url)
    try:
        with database as url:
            if args.backend != "sqlite":
                from storage.db import make_engine, migrate

                migrate(make_engine(url))
            settings = Settings(
                _env_file=None,
                **shops.environment,
                DATABASE_URL=url,
                ORDERBOT_SECRET_KEY=SECRET_KEY,
                ORDERBOT_ETSY_RATE=str(args.etsy_rate),
                ORDERBOT_TIKTOK_RATE=str(args.tiktok_rate),
            )
            answered: list[tuple[float, str]] = []  # (when, platform), once per attempt

            def on_call(platform: str, _endpoint: str, _outcome: str) -> None:
                answered.append((time.perf_counter(), platform))

            core = build_core(settings, client_options={"on_call": on_call})
            try:
                shops.reset_calls()
                log(f"engine: fetching {args.orders:,} orders at {args.latency_ms} ms")
                cpu_started = time.process_time()
                started = time.perf_counter()
                summary = core.services.engine.fetch()
                wall = time.perf_counter() - started
                cpu = time.process_time() - cpu_started
                timeline = etsy_timeline(list(answered), started, wall, args.etsy_rate)
                tiktok_calls = shops.calls("tiktok")
                etsy_calls = shops.calls("etsy")
                idle = []
                for _ in range(args.idle_fetches):
                    shops.reset_calls()
                    again = core.services.engine.fetch()
                    idle.append({"etsy_calls": len(shops.calls("etsy")), "new": again.new})
            finally:
                core.close()
    finally:
        shops.stop()
    shape = etsy_shape(etsy_calls)
    min_etsy = min_etsy_calls(shape)
    tiktok_bound = len(tiktok_calls) / args.tiktok_rate
    etsy_bound = min_etsy / args.etsy_rate
    bound = max(tiktok_bound, etsy_bound)
    pages = sum(1 for call in tiktok_calls if call.path == SEARCH)
    paging_floor = max(2 * args.latency_ms / 1000, tiktok_bound)
    # Every write needs every order read first (one write per listing per fetch), so the
    # writes cannot start before the reading ends; the index pages and reads could overlap it.
    physical = max(paging_floor + shape["listings_written"] / args.etsy_rate, bound)
    return {
        "physical_bound_s": round(physical, 2),
        "issue_bound_s": round(2 * shape["listings_written"] / args.etsy_rate, 2),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "bound_s": round(bound, 2),
        "paging_floor_s": round(paging_floor, 2),
        "etsy_timeline": timeline,
        "tiktok_bound_s": round(tiktok_bound, 2),
        "etsy_bound_s": round(etsy_bound, 2),
        "tiktok_calls": len(tiktok_calls),
        "tiktok_search_pages": pages,
        "tiktok_429": sum(1 for call in tiktok_calls if call.status == 429),
        "etsy_calls": len(etsy_calls),
        "etsy_min_calls": min_etsy,
        "shape": shape,
        "idle_fetches": idle,
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
    shops = RemoteShops(partial(start_marketplaces, args))
    try:
        env = shops.environment
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
        shops.reset_calls()
        log(f"naive: paging {args.orders:,} orders, then one read + one write per listing")
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

        # Every unit each listing's placeable orders take, then one read + one PUT per listing.
        units: dict[int, Counter] = {}
        for order in orders:
            if order.status != "AWAITING_SHIPMENT" or order.fulfillment_type.endswith("TIKTOK"):
                continue
            for item in order.line_items:
                listing_id = index.get(item.seller_sku)
                if listing_id is not None:
                    units.setdefault(listing_id, Counter())[item.seller_sku] += 1
        placed_units = 0
        for listing_id, wanted_skus in units.items():
            inventory = etsy.get_inventory(listing_id)
            wanted = {}
            for sku, n in wanted_skus.items():
                group = tied_products(inventory, sku)
                if not group or len({p.quantity for p in group}) > 1 or group[0].quantity < n:
                    continue
                wanted.update({p.key: p.quantity - n for p in group})
                placed_units += n
            if wanted:
                etsy.update_inventory(listing_id, put_body(inventory, wanted))
        done = time.perf_counter()
        tiktok.close()
        etsy.close()
        etsy_calls = shops.calls("etsy")
        listing_etsy_calls = sum(1 for call in etsy_calls if not INDEX_PAGE.match(call.path))
        throttled = sum(1 for call in etsy_calls if call.status == 429)
        tiktok_calls = len(shops.calls("tiktok"))
    finally:
        shops.stop()
    return {
        "listings": len(units),
        "paging_s": round(paged - started, 2),
        "index_s": round(indexed - paged, 2),
        "listings_s": round(done - indexed, 2),
        "listing_etsy_calls": listing_etsy_calls,
        "units_placed": placed_units,
        "tiktok_calls": tiktok_calls,
        "etsy_429": throttled,
        "naive_wall_s": round(done - started, 2),
        "extrapolated": False,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--listings", type=int, default=40, help="Etsy listings (at least 8)")
    parser.add_argument("--latency-ms", type=int, default=150, help="added to every call")
    parser.add_argument("--etsy-rate", type=float, default=10.0, help="requests/s")
    parser.add_argument("--tiktok-rate", type=float, default=50.0, help="requests/s")
    parser.add_argument(
        "--etsy-server-rate",
        type=int,
        default=None,
        help="diagnostic only: the Etsy sandbox's own limit, when it should differ from "
        "--etsy-rate (the client's); default: the same",
    )
    parser.add_argument("--idle-fetches", type=int, default=3, help="fetches finding nothing")
    parser.add_argument("--no-naive", dest="naive", action="store_false", help="engine only")
    parser.add_argument("--stock-boost", type=int, default=900)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()

    engine = run_engine(args)
    log(f"engine: {engine['wall_s']}s, issue's bound {engine['issue_bound_s']}s")
    naive = run_naive(args) if args.naive else None
    if naive:
        log(f"naive: {naive['naive_wall_s']}s")

    shape = engine["shape"]
    efficiency = engine["issue_bound_s"] / engine["wall_s"]
    rate_efficiency = engine["etsy_bound_s"] / engine["wall_s"]
    physical_efficiency = engine["physical_bound_s"] / engine["wall_s"]
    speedup = naive["naive_wall_s"] / engine["wall_s"] if naive else None
    flash_limit = 1.2 * (shape["listings_written"] + shape["index_pages"])
    emit(
        "fetch_throughput",
        {
            "efficiency": round(efficiency, 3),  # the issue's: a read and a write per listing
            "etsy_rate_efficiency": round(rate_efficiency, 3),  # the fewest Etsy calls at 10/s
            "physical_efficiency": round(physical_efficiency, 3),  # reading, then the writes
            "speedup": round(speedup, 2) if speedup else None,
            "etsy_calls": engine["etsy_calls"],
            "etsy_min_calls": engine["etsy_min_calls"],
            "inventory_puts": shape["inventory_puts"],
            "listings_written": shape["listings_written"],
            "idle_etsy_calls": [idle["etsy_calls"] for idle in engine["idle_fetches"]],
            "tiktok_calls": engine["tiktok_calls"],
            "wall_s": engine["wall_s"],
            "issue_bound_s": engine["issue_bound_s"],
            "physical_bound_s": engine["physical_bound_s"],
            "etsy_bound_s": engine["etsy_bound_s"],
            "naive_wall_s": naive["naive_wall_s"] if naive else None,
            "targets": {
                "efficiency>=0.8": efficiency >= 0.8,
                "one_put_per_listing": shape["inventory_puts"] == shape["listings_written"],
                "reads<=writes": shape["batch_reads"] + shape["inventory_gets"]
                <= shape["inventory_puts"],
                "etsy_calls<=1.2x(listings+index_pages)": engine["etsy_calls"] <= flash_limit,
                "idle_etsy_calls<=3": all(i["etsy_calls"] <= 3 for i in engine["idle_fetches"]),
                "faster_than_naive": bool(speedup and speedup > 1),
                "speedup>=5": bool(speedup and speedup >= 5),
            },
            "params": {
                "orders": args.orders,
                "listings": args.listings,
                "latency_ms": args.latency_ms,
                "etsy_rate": args.etsy_rate,
                "tiktok_rate": args.tiktok_rate,
                "etsy_server_rate": args.etsy_server_rate or args.etsy_rate,
                "stock_boost": args.stock_boost,
                "seed": args.seed,
                "backend": args.backend,
                "settings": "defaults",
            },
            "engine": engine,
            "naive": naive,
        },
    )


if __name__ == "__main__":
    main()
