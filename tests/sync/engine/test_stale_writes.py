"""A webhook refresh that lands while a placement is under way is not overwritten by it.

The placement reads its pending orders, then reads Etsy, then writes. Here the orders are
cancelled on TikTok and a webhook refresh (`Engine.refresh_orders`) stores that in between,
through an Etsy client that runs the refresh just before the call named.
"""

import pytest
from sqlmodel import select

from storage import queries
from storage.models import Reservation
from storage.states import STILL_HELD
from sync.engine import Engine
from tests.utils.catalog import stock


class RefreshingEtsy:
    """The real Etsy client, except that the first call of `method` runs `refresh` first."""

    def __init__(self, etsy, method: str, refresh):
        self._etsy, self._method, self._refresh = etsy, method, refresh
        self.refreshed = False

    def __getattr__(self, name):
        call = getattr(self._etsy, name)
        if name != self._method:
            return call

        def refreshing_first(*args, **kwargs):
            if not self.refreshed:
                self.refreshed = True
                self._refresh()
            return call(*args, **kwargs)

        return refreshing_first


def engine_with(core, etsy) -> Engine:
    services = core.services
    return Engine(
        sessions=services.sessions, shop_id=services.shop_id, tiktok=core.tiktok, etsy=etsy
    )


def reservations_still_held(core, order_id: int) -> list[Reservation]:
    with core.services.sessions() as session:
        rows = session.exec(select(Reservation).where(Reservation.order_id == order_id))
        return [r for r in rows if r.state in STILL_HELD]


@pytest.mark.parametrize(
    ("refresh_before", "placed", "cancelled_placement"),
    [
        # Between the read of the pending orders and the write that journals them: the
        # cancelled orders stay skipped and nothing is taken for them.
        ("get_listings", 1, "skipped"),
        # Once journalled, during the Etsy write: their units are taken, then given back.
        ("update_inventory", 2, "restored"),
    ],
)
def test_a_cancel_stored_mid_placement_wins_and_its_units_are_not_kept(
    core, shops, refresh_before, placed, cancelled_placement
):
    low = shops.catalog.cases["low_stock"][0]
    cancelled_sku, kept_sku = [s for s in shops.catalog.cases["unique"] if stock(shops, s) >= 3][:2]
    before = {sku: stock(shops, sku) for sku in (cancelled_sku, kept_sku, low)}
    cancelled = shops.tiktok.add_order(skus=[cancelled_sku])["id"]
    short = shops.tiktok.add_order(skus=[low] * (before[low] + 1))["id"]  # fails: too few
    kept = shops.tiktok.add_order(skus=[kept_sku])["id"]

    def cancel_and_refresh():
        for order_id in (cancelled, short):
            shops.tiktok.buyer_cancel(order_id)
        engine.refresh_orders([cancelled, short])  # a webhook worker, mid-placement

    etsy = RefreshingEtsy(core.etsy, refresh_before, cancel_and_refresh)
    engine = engine_with(core, etsy)

    summary = engine.fetch()

    assert etsy.refreshed and summary.error is None
    assert summary.placed == placed
    row = engine.order(cancelled)
    assert (row.section, row.placement) == ("cancelled", cancelled_placement)
    short_row = engine.order(short)
    assert (short_row.section, short_row.placement) == ("cancelled", "skipped")
    assert (engine.order(kept).section, engine.order(kept).placement) == (
        "awaiting-shipment",
        "placed",
    )
    assert stock(shops, cancelled_sku) == before[cancelled_sku]  # given back, or never taken
    assert stock(shops, low) == before[low]
    assert stock(shops, kept_sku) == before[kept_sku] - 1
    assert reservations_still_held(core, row.id) == []
    with core.services.sessions() as session:
        shop_id = core.services.shop_id
        assert queries.section_counts(session, shop_id=shop_id) == (
            queries.recount_sections(session, shop_id=shop_id)
        )
