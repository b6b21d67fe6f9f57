"""Review finding 12: a TikTok field longer than its column never stops a fetch. PostgreSQL
refuses such a value and with it the whole page, so the cursor would never pass it; here an id
or SKU too long for its column makes its order unreadable (reported and skipped), and display
text or a code is cut to its column. Runs on both backends (`database_url`)."""

import pytest

from storage import queries
from storage.models import Order, OrderLine, column_length
from sync.clock import to_unix
from tests.utils.catalog import stock


def unique_sku(shops) -> str:
    return next(sku for sku in shops.catalog.cases["unique"] if stock(shops, sku) >= 3)


def cursor(core) -> int | None:
    with core.services.sessions() as session:
        return queries.fetch_state(session, shop_id=core.services.shop_id).cursor


def stored(core, tiktok_order_id: str) -> tuple[Order, list[OrderLine]] | None:
    services = core.services
    with services.sessions() as session:
        order = queries.order_by_tiktok_id(
            session, shop_id=services.shop_id, tiktok_order_id=tiktok_order_id
        )
        if order is None:
            return None
        return order, queries.lines_of(session, order_ids=[order.id])[order.id]


@pytest.mark.parametrize("field", ["line_id", "sku_id", "seller_sku"])
def test_an_order_with_an_id_too_long_to_store_is_reported_and_skipped(core, shops, field):
    sku = unique_sku(shops)
    good = shops.tiktok.add_order(skus=[sku])["id"]
    bad = shops.tiktok.add_order(skus=[sku, sku], malformed=f"over_long_{field}")["id"]

    summary = core.services.engine.fetch()

    assert summary.error is None
    assert summary.skipped == [bad]
    assert cursor(core) >= to_unix(summary.started_at)  # the cursor moved past both
    assert stored(core, bad) is None
    assert stored(core, good)[0].placement == "placed"
    again = core.services.engine.fetch()  # and the next fetch is not stuck on it either
    assert again.error is None and bad in again.skipped


CUT = {  # malformation -> (model, column, stored value of the order)
    "over_long_display_status": (
        OrderLine,
        "display_status",
        lambda order, lines: lines[0].display_status,
    ),
    "over_long_currency": (Order, "currency", lambda order, lines: order.currency),
    "over_long_cancellation_initiator": (
        Order,
        "cancel_initiator",
        lambda order, lines: order.cancel_initiator,
    ),
}


@pytest.mark.parametrize("how", sorted(CUT))
def test_display_text_and_codes_too_long_are_cut_to_their_column(core, shops, how):
    sku = unique_sku(shops)
    shown = shops.tiktok.add_order(skus=[sku], malformed=how)
    model, column, value_of = CUT[how]

    summary = core.services.engine.fetch()

    assert summary.error is None and summary.skipped == []
    assert cursor(core) >= to_unix(summary.started_at)
    order, lines = stored(core, shown["id"])
    value = value_of(order, lines)
    assert len(value) == column_length(model, column)
    if how == "over_long_currency":
        assert value.startswith(shown["payment"]["currency"][:3])
        assert all(len(line.currency) == column_length(OrderLine, "currency") for line in lines)
    assert order.placement == "placed"  # what is cut is never what placement reads
