"""Shared by the resilience tests: identical sandbox shops, the orders they sell, and what
to compare after a run.

Two `Marketplaces` built with the same seed, whose clocks read the same instant while their
orders are staged, hold the same catalog and the same orders (ids, lines, create and update
times), so a run against one can be compared with a run against the other. Then the clocks run
on in real time (TikTok refuses request timestamps far from its own); no staged order is near a
time-driven change (ON_HOLD orders leave the remorse window at the earliest 15 minutes later).
"""

import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import select

from sandbox.clock import SandboxClock
from sandbox.marketplaces import Marketplaces
from storage import queries
from storage.models import Lease, Order, StockIntent

SECRET_KEY = "test-secret-key-0123456789-abcdefghijkl"
FAST = "2000"  # requests per second, both ways: rate limits have tests of their own


class StagingTime:
    """A clock base that reads `t0` until `run()`, then the wall clock."""

    def __init__(self) -> None:
        self.t0 = int(time.time())
        self._running = False

    def __call__(self) -> float:
        return time.time() if self._running else self.t0

    def run(self) -> None:
        self._running = True


def make_shops(*, seed: int, listings: int, time_base: StagingTime) -> Marketplaces:
    return Marketplaces(
        seed=seed,
        listings=listings,
        clock=SandboxClock(base=time_base),
        tiktok_options={"rate_per_s": int(FAST)},
        etsy_options={"rate_per_s": int(FAST)},
    )


def environment(shops: Marketplaces, database_url: str) -> dict[str, str]:
    return {
        **shops.environment(),
        "DATABASE_URL": database_url,
        "ORDERBOT_SECRET_KEY": SECRET_KEY,
        "ORDERBOT_ETSY_RATE": FAST,
        "ORDERBOT_TIKTOK_RATE": FAST,
    }


def stage_orders(shops: Marketplaces, n: int, t0: int) -> dict[str, str]:
    """`n` seeded orders plus named cases, older than all of them; returns name -> order id.

    Every placeable order gets update_time = create_time + 3660 s (the history of an
    AWAITING_SHIPMENT order older than two hours), so TikTok pages (by update time) come in
    creation order and each batch the engine places holds the oldest pending orders: which
    order gets short stock is then the same however the work is cut into batches.
    """
    shops.tiktok.seed_orders(n)
    low = "BOWL-LOW"  # one left
    assert shops.catalog.cases["low_stock"][0] == low
    unique = shops.catalog.cases["unique"]
    cases = {
        "shared_sku": {"skus": ["woodthing3", "woodthing3"]},  # three products move together
        "shared_sku_and_more": {"skus": ["woodthing3"] * 3 + [unique[0]]},
        "short_three": {"skus": [low, low, low]},
        "gets_the_last_one": {"skus": [low]},
        "short_one": {"skus": [low]},
        "unmatched": {"skus": ["TT-GHOST-1", unique[1]]},
        "unmapped": {"skus": ["TT-TOTE-CANVAS"]},
        "fulfilled_by_tiktok": {"skus": [unique[2]], "fulfillment_type": "FULFILLMENT_BY_TIKTOK"},
        # Combined-listing components carry only their sku_id (202309); orderbot learns
        # their seller SKU from plain lines stored first.
        "teaches_sku": {"skus": [unique[3], unique[4]]},
        "combined": {
            "skus": [],
            "combined": [
                {
                    "sku_id": "9990001",
                    "components": [
                        {"seller_sku": unique[3], "sku_count": 2},
                        {"seller_sku": unique[4], "sku_count": 1},
                    ],
                }
            ],
        },
        # Inside the 1-hour remorse window, so TikTok keeps them on hold.
        "on_hold": {"skus": [unique[5]], "status": "ON_HOLD", "create_time": t0 - 600},
        "on_hold_two": {"skus": [unique[6]] * 2, "status": "ON_HOLD", "create_time": t0 - 900},
    }
    oldest = t0 - 5 * 86400  # seeded orders are at most 4 days old
    return {
        name: shops.tiktok.add_order(**{"create_time": oldest + 97 * k, **spec})["id"]
        for k, (name, spec) in enumerate(cases.items())
    }


def sku_ids(shops: Marketplaces) -> dict[str, str]:
    return {row["sku_id"]: row["seller_sku"] for row in shops.catalog.tiktok_skus}


def units_by_sku(shops: Marketplaces, order_ids) -> Counter:
    """Seller SKU -> units the given TikTok orders take, read from TikTok's side."""
    wanted, by_id, units = set(order_ids), sku_ids(shops), Counter()
    for order in shops.tiktok.orders():
        if order["id"] not in wanted:
            continue
        for item in order["line_items"]:
            parts = item.get("combined_listing_skus")
            if not parts:
                units[item["seller_sku"]] += 1
            for part in parts or ():
                units[by_id[part["sku_id"]]] += int(part["sku_count"])
    return units


def expected_quantities(shops: Marketplaces, before: dict, placed: set[str]) -> dict:
    """Every placed order's units taken exactly once; products sharing a SKU move together,
    and so do products sharing one stock pool (same values of the listing's
    quantity_on_property properties, Etsy reference §7.2)."""
    units = units_by_sku(shops, placed)
    quantity_props = {
        listing["listing_id"]: set(listing["inventory"].get("quantity_on_property") or ())
        for listing in shops.catalog.listings
    }

    def pool(key) -> tuple:
        listing_id, _, values = key
        return listing_id, tuple(v for v in values if v[0] in quantity_props.get(listing_id, ()))

    skus_in_pool: dict[tuple, set] = defaultdict(set)
    for key in before:
        skus_in_pool[pool(key)].add(key[1])
    taken = {p: sum(units.get(sku, 0) for sku in skus) for p, skus in skus_in_pool.items()}
    return {key: qty - taken[pool(key)] for key, qty in before.items()}


def outcomes(sessions) -> dict[str, tuple]:
    with sessions() as session:
        rows = session.exec(
            select(Order.tiktok_order_id, Order.section, Order.placement, Order.failure_reason)
        )
        return {tiktok_id: tuple(rest) for tiktok_id, *rest in rows}


def placed(sessions) -> set[str]:
    return {tid for tid, (_, placement, _) in outcomes(sessions).items() if placement == "placed"}


def open_intents(sessions) -> list[StockIntent]:
    with sessions() as session:
        return list(session.exec(select(StockIntent).where(StockIntent.state == "pending")))


def counts_and_recount(sessions) -> tuple[dict, dict]:
    with sessions() as session:
        (shop_id,) = session.exec(select(Order.shop_id).distinct()).all()
        counted = {k: v for k, v in queries.section_counts(session, shop_id=shop_id).items() if v}
        return counted, queries.recount_sections(session, shop_id=shop_id)


def expire_leases(sessions) -> int:
    """What five minutes do to the leases of a process that died holding them."""
    with sessions() as session:
        result = session.exec(
            update(Lease).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        session.commit()
        return result.rowcount
