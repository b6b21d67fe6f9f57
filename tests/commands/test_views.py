"""The replies that show orders, built from rows the core stored for emulated TikTok orders."""

from datetime import UTC, datetime, timedelta

from commands import actions, views
from commands.interactions import command_for
from commands.replies import Actions, Heading, History, KeyValues, Paragraph, Table
from commands.types import Cancel, Map, Restock, Retry, Status
from storage import queries
from sync.engine import FetchSummary
from sync.sections import Section
from tests.utils.catalog import unique_skus


def stored(core, order_id: str):
    """(order, its lines, its reservations, its events) as the store has them."""
    services = core.services
    with services.sessions() as session:
        order = queries.order_by_tiktok_id(
            session, shop_id=services.shop_id, tiktok_order_id=order_id
        )
        lines = queries.lines_of(session, order_ids=[order.id])[order.id]
        reservations = queries.reservations_of(session, order_ids=[order.id])[order.id]
        events = queries.events_of(session, order_id=order.id)
    return order, lines, reservations, events


def commands_of(buttons) -> list:
    return [command_for(button.action_id, button.value) for button in buttons]


def test_line_items_count_units_and_say_where_they_were_placed(core, shops):
    a, b = unique_skus(shops, 2)
    placed = shops.tiktok.add_order(skus=[a, a, b])["id"]
    failed = shops.tiktok.add_order(skus=["TT-GHOST-1", "TT-GHOST-1"])["id"]
    core.services.engine.fetch()

    order, lines, reservations, _ = stored(core, placed)
    items = views.line_items(lines, reservations).split("; ")
    assert len(items) == 2
    assert items[0].startswith(f"{a} ×2 → listing ") and items[0].endswith(f" / {a}")
    assert items[1].startswith(f"{b} ×1 → listing ")
    _, lines, reservations, _ = stored(core, failed)
    assert views.line_items(lines, reservations) == "TT-GHOST-1 ×2 → not placed"


def test_the_grid_shows_one_row_per_order_and_pages_with_buttons(core, shops):
    ids = [shops.tiktok.add_order(skus=["TT-GHOST-1"])["id"] for _ in range(3)]
    core.services.engine.fetch()
    orders = [stored(core, order_id) for order_id in ids]

    reply = views.grid(
        section=Section.FAILED,
        page=2,
        counts={Section.FAILED.value: 45, Section.DELIVERED.value: 1},
        orders=[order for order, *_ in orders],
        lines={order.id: lines for order, lines, _, _ in orders},
        reservations={order.id: reservations for order, _, reservations, _ in orders},
    )

    counts = [block.text for block in reply.blocks if isinstance(block, Paragraph)][0]
    assert "Failed 45" in counts and "Delivered 1" in counts and "On Hold 0" in counts
    (table,) = [block for block in reply.blocks if isinstance(block, Table)]
    assert table.columns == (*views.GRID_COLUMNS, "Why")  # TikTok's status, then the reason
    assert [row[0] for row in table.rows] == [order.tiktok_order_id for order, *_ in orders]
    assert table.rows[0][1:3] == ("Seller", "TT-GHOST-1 ×1 → not placed")
    assert table.rows[0][5:] == ("Awaiting Shipment", "SKU not on Etsy")
    assert reply.text == "Failed: 45 orders (page 2 of 3)"
    (paging,) = [block for block in reply.blocks if isinstance(block, Actions)]
    assert commands_of(paging.buttons) == [Status(Section.FAILED, 1), Status(Section.FAILED, 3)]


def test_a_failed_order_offers_retry_and_a_mapping_per_sku(core, shops):
    skus = ["TT-GHOST-1", "TT-TOTE-CANVAS", "TT-GHOST-1"]
    order_id = shops.tiktok.add_order(skus=skus)["id"]
    core.services.engine.fetch()
    order, lines, reservations, events = stored(core, order_id)

    reply = views.order_detail(order, lines, reservations, events)

    facts = dict(next(b for b in reply.blocks if isinstance(b, KeyValues)).items)
    assert facts["Section"] == "Failed" and facts["On Etsy"] == "not placed"
    assert facts["Why"].startswith("SKU not on Etsy: ")
    (buttons,) = [block for block in reply.blocks if isinstance(block, Actions)]
    assert commands_of(buttons.buttons) == [
        Cancel(order_id),
        Retry(order_id),
        Map("TT-GHOST-1"),
        Map("TT-TOTE-CANVAS"),
    ]
    (history,) = [block for block in reply.blocks if isinstance(block, History)]
    assert any(e.text.startswith("Could not be placed") for e in history.entries), history


def test_a_lost_parcel_offers_restock_behind_a_confirmation(core, shops):
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku], status="IN_TRANSIT")["id"]
    engine = core.services.engine
    engine.fetch()
    shops.tiktok.system_cancel(order_id, "package_lost")
    engine.refresh_orders([order_id])
    order, lines, _, _ = stored(core, order_id)

    (restock,) = views.order_buttons(order, lines)

    assert command_for(restock.action_id, restock.value) == Restock(order_id)
    assert restock.confirm is not None and order_id in restock.confirm.text


def test_a_tiktok_shipped_order_says_why_it_is_not_placed(core, shops):
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku], fulfillment_type="FULFILLMENT_BY_TIKTOK")["id"]
    core.services.engine.fetch()
    order, *_ = stored(core, order_id)
    assert views.fulfilled_by(order) == "TikTok"
    assert views.placement_text(order) == "not placed: TikTok ships it from its own warehouse"
    assert views.price(order).endswith(f" {order.currency}")


def test_a_fetch_summary_counts_failures_by_reason_and_links_to_them():
    start = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    summary = FetchSummary(
        started_at=start,
        finished_at=start + timedelta(seconds=4.25),
        orders=14,
        new=12,
        placed=9,
        failed={"sku_unmatched": 2, "insufficient_stock": 1},
        skipped=[str(n) for n in range(12)],
    )

    reply = views.fetch_summary(summary)

    assert reply.ok and reply.text == "Fetch finished: 12 new, 9 placed, 3 failed in 4.2 s"
    assert reply.blocks[0] == Heading("Fetch finished")
    skipped = next(b.text for b in reply.blocks if isinstance(b, Paragraph))
    assert skipped.startswith("12 orders from TikTok could not be read") and skipped.endswith(
        "8, 9 …"
    )
    facts = dict(next(b for b in reply.blocks if isinstance(b, KeyValues)).items)
    assert facts["Failed"] == "3 (SKU not on Etsy: 2, Not enough stock on Etsy: 1)"
    (link,) = next(b for b in reply.blocks if isinstance(b, Actions)).buttons
    assert command_for(link.action_id, link.value) == Status(Section.FAILED, 1)


def test_a_stopped_fetch_says_why_and_is_not_ok():
    start = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    summary = FetchSummary(started_at=start, error="TikTok is unavailable (HTTP 503)")
    reply = views.fetch_summary(summary)
    assert not reply.ok and reply.blocks[:2] == (
        Heading("Fetch stopped"),
        Paragraph("TikTok is unavailable (HTTP 503)"),
    )
    assert not [b for b in reply.blocks if isinstance(b, Actions)]  # nothing failed to show
    assert actions.PAGE not in str(reply)
