"""`/orders due` at 10k and 100k orders (SQLite, PostgreSQL), and `/orders ship` end to end
against the sandbox TikTok Shop: p50/p99.

`due` is timed as `commands.execute.execute(Due(page), ctx)` over orders bulk-inserted by
`_common.fill_orders` (a mature shop: most completed), each with a seller-shipped
`order_shipping` row; pages 1-3 are asked for. `ship` is `execute(Ship(order, "usps", number))`
for fresh orders fetched from the sandbox: Get Shipping Providers, Mark Package As Shipped and
the database writes, over loopback HTTP.

    .venv/bin/python bench/ship_due.py [--sizes 10000,100000] [--backends sqlite,postgresql]
"""

import argparse
import time

from _common import (
    POSTGRES_ADMIN_URL,
    SECRET_KEY,
    SHOP_ID,
    emit,
    fill_orders,
    latency_summary,
    log,
    migrated,
    postgres_url,
    sqlite_url,
)
from sqlalchemy import text

from commands.context import Actor, Context, Services
from commands.execute import execute
from commands.types import Due, Ship
from storage.db import session_factory
from sync.clock import utc_now

SELLER_OPTION = "7091146663229654785"  # the sandbox's seller-shipped delivery option


def measure_due(url: str, n: int, rounds: int) -> dict:
    db = migrated(url)
    try:
        fill_orders(db, n)
        with db.begin() as connection:  # ship by (and auto-cancel at) creation time + days
            connection.execute(
                text(
                    "INSERT INTO order_shipping (order_id, shop_id, shipping_type, "
                    "delivery_option_id, ship_by, auto_cancel_at) SELECT id, shop_id, 'SELLER', "
                    ":option, created_at, created_at FROM orders"
                ),
                {"option": SELLER_OPTION},
            )
        services = Services(
            engine=None, sessions=session_factory(db), shop_id=SHOP_ID, clock=utc_now
        )
        ctx = Context(services=services, actor=Actor(id="U0BENCH", is_admin=False))
        workload = [Due(page) for page in (1, 2, 3)]
        for command in workload:
            execute(command, ctx)  # warm up; not counted
        samples = []
        for _ in range(rounds):
            for command in workload:
                started = time.perf_counter()
                reply = execute(command, ctx)
                samples.append(time.perf_counter() - started)
                assert reply.ok, reply.text
        return latency_summary(samples)
    finally:
        db.dispose()


def measure_ship(count: int) -> dict:
    from orderbot.compose import build_core
    from orderbot.settings import Settings
    from sandbox.marketplaces import Marketplaces

    with Marketplaces() as shops, sqlite_url() as url:
        settings = Settings(
            _env_file=None,
            **shops.environment(),
            DATABASE_URL=url,
            ORDERBOT_SECRET_KEY=SECRET_KEY,
        )
        core = build_core(settings)
        try:
            # Whether Etsy placed them does not matter: a seller ships what TikTok sold.
            sku = shops.catalog.cases["unique"][0]
            ids = [shops.tiktok.add_order(skus=[sku])["id"] for _ in range(count)]
            core.services.engine.fetch()
            ctx = Context(core.services, Actor(id="U0BENCH", is_admin=False, is_shipper=True))
            samples = []
            for k, order_id in enumerate(ids):
                number = f"94001118992234567{k:05d}"  # distinct: TikTok refuses a reused one
                started = time.perf_counter()
                reply = execute(Ship(order_id, "usps", number), ctx)
                samples.append(time.perf_counter() - started)
                assert reply.ok, reply.text
            return latency_summary(samples)
        finally:
            core.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=20, help="passes over pages 1-3")
    parser.add_argument("--ships", type=int, default=30)
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL)
    args = parser.parse_args()
    due: dict[str, dict] = {}
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        due[backend] = {}
        for n in [int(size) for size in args.sizes.split(",")]:
            log(f"due: {backend}, {n:,} orders")
            database = sqlite_url() if backend == "sqlite" else postgres_url(args.postgres_url)
            with database as url:
                due[backend][str(n)] = measure_due(url, n, args.rounds)
    log(f"ship: {args.ships} orders against the sandbox")
    emit("ship_due", {"due": due, "ship": measure_ship(args.ships)})


if __name__ == "__main__":
    main()
