"""What the benchmarks share: the machine, percentiles, JSON output, databases, bulk orders.

Benchmarks are not tests: each script builds what it measures against the sandbox, prints one
JSON object as its last line of stdout, and cleans up after itself.
"""

import json
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/x.py` from a clone that was not pip-installed
    sys.path.insert(0, str(ROOT))

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
LOAD_AT_START = os.getloadavg()  # other work on the machine skews timings: reported with them
SECRET_KEY = "bench-secret-key-0123456789abcdef"
SHOP_ID = 1  # the one shop `queries.ensure_shop` creates in a fresh database


# --- output ------------------------------------------------------------------------------


def machine() -> dict:
    mem_kb = 0
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "mem_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_1m_start": round(LOAD_AT_START[0], 2),
        "loadavg_1m_end": round(os.getloadavg()[0], 2),
    }


def emit(name: str, result: dict) -> None:
    """The one JSON object, as the last line of stdout."""
    sys.stdout.flush()
    print(json.dumps({"benchmark": name, **result, "machine": machine()}), flush=True)


def log(message: str) -> None:
    """Progress goes to stderr, so stdout's last line stays the JSON."""
    print(message, file=sys.stderr, flush=True)


# --- statistics --------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n*q/100), at least 1
    return ordered[int(rank) - 1]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def latency_summary(seconds: Sequence[float]) -> dict:
    return {
        "n": len(seconds),
        "p50_ms": ms(percentile(seconds, 50)),
        "p99_ms": ms(percentile(seconds, 99)),
        "max_ms": ms(max(seconds)),
    }


# --- databases ---------------------------------------------------------------------------


@contextmanager
def sqlite_url(name: str = "orderbot.db") -> Iterator[str]:
    """A fresh SQLite file in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="orderbot-bench-") as directory:
        yield f"sqlite:///{Path(directory) / name}"


@contextmanager
def postgres_url(admin_url: str = POSTGRES_ADMIN_URL) -> Iterator[str]:
    """A database of its own on the local server, dropped afterwards."""
    name = f"orderbot_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrated(url: str) -> Engine:
    """The app's engine on `url`, at the newest schema, with the one shop created."""
    from storage import queries
    from storage.db import make_engine, migrate, session_factory, transaction

    db = make_engine(url)
    migrate(db)
    with transaction(session_factory(db)) as session:
        shop = queries.ensure_shop(session, name="TikTok Shop", etsy_shop_id="5550001")
        assert shop.id == SHOP_ID, shop.id
    return db


# --- bulk orders -------------------------------------------------------------------------

# A shop taking one order a minute. Orders of the last 14 days are still moving (per mille of
# them, by section); older ones have settled: completed, cancelled, a few failed ones left.
RECENT_S = 14 * 86400
RECENT_MIX = (
    ("on-hold", 30),
    ("awaiting-shipment", 150),
    ("awaiting-collection", 100),
    ("in-transit", 250),
    ("delivered", 350),
    ("cancelled", 70),
    ("failed", 50),
)
SETTLED_MIX = (("completed", 945), ("cancelled", 50), ("failed", 5))
STATUS_OF = {
    "completed": "COMPLETED",
    "cancelled": "CANCELLED",
    "delivered": "DELIVERED",
    "in-transit": "IN_TRANSIT",
    "awaiting-collection": "AWAITING_COLLECTION",
    "awaiting-shipment": "AWAITING_SHIPMENT",
    "on-hold": "ON_HOLD",
    "failed": "AWAITING_SHIPMENT",
}
PLACEMENT_OF = {
    "cancelled": "skipped",
    "on-hold": "waiting",
    "failed": "failed",
}
ORDER_ID_BASE = 576_461_413_000_000_000
LISTING_BASE = 1_500_000_001


def _case(column_of: str, mapping: dict[str, str], default: str) -> str:
    arms = " ".join(f"WHEN '{key}' THEN '{value}'" for key, value in mapping.items())
    return f"CASE {column_of} {arms} ELSE '{default}' END"


def _section_case(bucket: str, mix: tuple[tuple[str, int], ...]) -> str:
    arms, upper = [], 0
    for section, share in mix:
        upper += share
        arms.append(f"WHEN {bucket} < {upper} THEN '{section}'")
    return "CASE " + " ".join(arms) + " END"


def fill_orders(db: Engine, n: int) -> dict[str, int]:
    """Insert orders 1..n of shop 1 with 1-3 line items each, a reservation per line of placed
    orders, and their `section_counts` rows, in a few set-based SQL statements.

    Order x was created (n - x) minutes ago (ids follow creation, as when orders are fetched)
    and read from TikTok just now; its section is drawn by a multiplicative hash of x from
    RECENT_MIX when it is less than 14 days old, else from SETTLED_MIX. Returns the section
    counts.
    """
    sqlite = db.dialect.name == "sqlite"
    if sqlite:
        seq = (
            "(WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < :n)"
            " SELECT x FROM seq)"
        )

        def stamp(seconds: str) -> str:
            return f"(strftime('%Y-%m-%d %H:%M:%S', {seconds}, 'unixepoch') || '.000000')"

        def money(cents: str) -> str:
            return f"printf('%d.%02d', ({cents}) / 100, ({cents}) % 100)"

        false = "0"
    else:
        seq = "(SELECT generate_series(CAST(1 AS BIGINT), :n) AS x)"

        def stamp(seconds: str) -> str:
            return f"to_timestamp({seconds})"

        def money(cents: str) -> str:
            return f"(({cents}) / 100.0)"

        false = "false"

    bucket = "((x * 2654435761) % 1000)"
    now = int(time.time())
    created = f"({now} - (:n - x) * 60)"
    section = (
        f"CASE WHEN (:n - x) * 60 < {RECENT_S} THEN {_section_case(bucket, RECENT_MIX)} "
        f"ELSE {_section_case(bucket, SETTLED_MIX)} END"
    )
    orders = f"""
        INSERT INTO orders (id, shop_id, tiktok_order_id, tiktok_status, section, partial,
            placement, failure_reason, failure_detail, fulfilled_by, created_at, updated_at,
            total_amount, currency, return_requested, synced_at)
        SELECT x, {SHOP_ID}, CAST({ORDER_ID_BASE} + x AS TEXT), status, section, {false},
            placement,
            CASE section WHEN 'failed' THEN 'sku_unmatched' END,
            CASE section WHEN 'failed' THEN 'TikTok SKU TT-GHOST-1 is on no Etsy listing' END,
            CASE WHEN x % 20 = 0 THEN 'TIKTOK' ELSE 'SELLER' END,
            {stamp(created)}, {stamp(created + " + 3600")},
            {money("800 + (x * 7919) % 9000")}, 'USD', {false}, {stamp(str(now))}
        FROM (
            SELECT x, section,
                {_case("section", STATUS_OF, "COMPLETED")} AS status,
                CASE WHEN x % 20 = 0 AND section <> 'cancelled' THEN 'skipped'
                     ELSE {_case("section", PLACEMENT_OF, "placed")} END AS placement
            FROM (SELECT x, {section} AS section FROM {seq} AS s) AS t
        ) AS o
    """
    # Line k (1..3) of order x has id 4x+k; an order has 1 + x % 3 lines.
    sku = "('SKU-' || CAST((x * 31 + k * 7) % 500 AS TEXT))"
    lines = f"""
        INSERT INTO order_lines (id, order_id, tiktok_line_id, sku_id, seller_sku, product_name,
            sku_name, sale_price, currency)
        SELECT 4 * x + k, x, CAST({ORDER_ID_BASE} + 4 * x + k AS TEXT),
            CAST(1729390000000000000 + (x * 31 + k * 7) % 500 AS TEXT), {sku},
            'Handmade thing no. ' || CAST((x * 31 + k * 7) % 500 AS TEXT), 'Default',
            {money("800 + (x * 131 + k) % 4000")}, 'USD'
        FROM {seq} AS s
        CROSS JOIN (SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3) AS ks
        WHERE k <= 1 + x % 3
    """
    reservations = f"""
        INSERT INTO reservations (order_id, line_id, tiktok_sku, etsy_sku, listing_id, units,
            state)
        SELECT l.order_id, l.id, l.seller_sku, l.seller_sku,
            {LISTING_BASE} + (l.id % 200), 1, 'reserved'
        FROM order_lines AS l JOIN orders AS o ON o.id = l.order_id
        WHERE o.placement = 'placed'
    """
    counts = f"""
        INSERT INTO section_counts (shop_id, section, count)
        SELECT {SHOP_ID}, section, COUNT(*) FROM orders WHERE shop_id = {SHOP_ID}
        GROUP BY section
    """
    with db.begin() as connection:
        for statement in ("reservations", "order_lines", "orders", "section_counts"):
            connection.execute(text(f"DELETE FROM {statement}"))
        connection.execute(text(orders), {"n": n})
        connection.execute(text(lines), {"n": n})
        connection.execute(text(reservations))
        connection.execute(text(counts))
        if not sqlite:  # the serial behind `id` must move past the explicit ids
            for table in ("orders", "order_lines"):
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT MAX(id) FROM {table}))"
                    )
                )
        rows = connection.execute(
            text("SELECT section, count FROM section_counts WHERE shop_id = :shop"),
            {"shop": SHOP_ID},
        )
        result = {section: count for section, count in rows}
    if not sqlite:
        # What autovacuum does within a minute of a bulk load (statistics, visibility map,
        # hint bits), done now so that it does not run during the measurement.
        with db.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    return result
