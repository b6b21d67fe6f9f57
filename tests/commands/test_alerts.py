"""What each alert says: `content_of` and `digest_content` over views built in memory (no
database, no Slack). Each case names the view and what the reader must see."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from commands import actions
from commands.alerts import content_of, digest_content
from commands.replies import Actions, Button, Byline, Heading, KeyValues, Paragraph, Table
from storage.models import FetchState, Order, OrderEvent, OrderLine, Reservation
from sync.alerts import AlertView, DigestView

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
OID = "576460000000000001"


def order(**changes) -> Order:
    values = {
        "id": 1,
        "shop_id": 1,
        "tiktok_order_id": OID,
        "tiktok_status": "AWAITING_SHIPMENT",
        "section": "awaiting-shipment",
        "placement": "placed",
        "fulfilled_by": "SELLER",
        "total_amount": Decimal("19.99"),
        "currency": "USD",
        "created_at": NOW - timedelta(hours=2),
        "updated_at": NOW,
        "synced_at": NOW,
    }
    return Order(**{**values, **changes})


LINE = OrderLine(id=1, order_id=1, tiktok_line_id="L1", sku_id="S1", seller_sku="MUG-1")
GHOST = OrderLine(id=2, order_id=1, tiktok_line_id="L2", sku_id="S2", seller_sku="TT-GHOST-1")


def reservation(state: str, units: int = 2) -> Reservation:
    return Reservation(
        order_id=1,
        line_id=1,
        tiktok_sku="MUG-1",
        etsy_sku="ETSY-MUG",
        listing_id=7,
        units=units,
        state=state,
    )


def event(kind: str, actor: str, detail: str = "", at: datetime = NOW) -> OrderEvent:
    return OrderEvent(order_id=1, at=at, actor=actor, kind=kind, detail=detail)


def view(kind: str, the_order: Order | None, *, state="posted", **more) -> AlertView:
    return AlertView(
        key=f"{kind}:{OID}",
        kind=kind,
        state=state,
        handled_by=more.pop("handled_by", None),
        order=the_order,
        **more,
    )


CANCELLED = {
    "tiktok_status": "CANCELLED",
    "section": "cancelled",
    "cancel_reason": "Out of stock",
}
DELIVERY = {
    "tiktok_status": "CANCELLED",
    "section": "failed",
    "failure_reason": "package_lost",
    "cancel_reason_key": "package_lost",
    "cancel_initiator": "SYSTEM",
}
FAILED = {
    "placement": "failed",
    "section": "failed",
    "failure_reason": "sku_unmatched",
    "failure_detail": "no Etsy listing has SKU TT-GHOST-1",
}


def buttons(reply) -> list[str]:
    return [
        b.action_id for block in reply.blocks if isinstance(block, Actions) for b in block.buttons
    ]


def bylines(reply) -> list[Byline]:
    return [block for block in reply.blocks if isinstance(block, Byline)]


def headings(reply) -> list[str]:
    return [block.text for block in reply.blocks if isinstance(block, Heading)]


def facts(reply) -> dict[str, str]:
    return {k: v for block in reply.blocks if isinstance(block, KeyValues) for k, v in block.items}


ALERTS = [
    pytest.param(
        view("new_order", order(), lines=[LINE], reservations=[reservation("reserved", 1)]),
        f"New order {OID}: 1 item, 19.99 USD — stock reserved",
        [f"New order {OID}"],
        {"Items": "MUG-1 ×1 → listing 7 / ETSY-MUG", "Status": "Awaiting Shipment"},
        [],
        [actions.CANCEL_START, actions.VIEW_ORDER],
        id="new-order",
    ),
    pytest.param(
        view("new_order", order(**CANCELLED, cancel_requested_by="U0ADMIN"), lines=[LINE]),
        f"New order {OID}: 1 item, 19.99 USD — stock reserved",
        [f"New order {OID}"],
        {"Status": "Cancelled"},
        [Byline("Cancelled by ", "U0ADMIN", ": Out of stock")],
        [actions.VIEW_ORDER],  # nothing left to cancel
        id="new-order-cancelled-by-a-slack-user",
    ),
    pytest.param(
        view("new_order", order(**CANCELLED, cancel_requested_by="cli"), lines=[LINE]),
        f"New order {OID}: 1 item, 19.99 USD — stock reserved",
        [f"New order {OID}"],
        {},
        [Byline("Cancelled by ", "the orderbot operator", ": Out of stock")],
        [actions.VIEW_ORDER],
        id="new-order-cancelled-from-the-terminal",
    ),
    pytest.param(
        view("new_order", order(**CANCELLED, cancel_initiator="BUYER"), lines=[LINE, LINE]),
        f"New order {OID}: 2 items, 19.99 USD — stock reserved",
        [f"New order {OID}"],
        {"Items": "MUG-1 ×2 → not placed"},
        [Byline("Cancelled by the buyer: Out of stock")],
        [actions.VIEW_ORDER],
        id="new-order-cancelled-by-the-buyer",
    ),
    pytest.param(
        view(
            "placement_failed",
            order(**FAILED),
            lines=[GHOST],
            events=[event("retry", "U0ADMIN", at=NOW - timedelta(hours=1))],
        ),
        f"Order {OID} could not be placed on Etsy: SKU not on Etsy — "
        "no Etsy listing has SKU TT-GHOST-1",
        [f"Order {OID} could not be placed on Etsy"],
        {
            "Reason": "SKU not on Etsy",
            "TikTok SKUs": "TT-GHOST-1",
            "Status": "Failed · Awaiting Shipment · SKU not on Etsy",
        },
        [Byline("Retried by ", "U0ADMIN", " at 2026-05-04 11:00 UTC")],
        [actions.RETRY_PLACEMENT, actions.MAP_SKU_START, actions.CANCEL_START, actions.VIEW_ORDER],
        id="placement-failed-and-retried",
    ),
    pytest.param(
        view(
            "placement_failed",
            order(),
            lines=[LINE],
            events=[event("placed", "orderbot"), event("placement_failed", "orderbot", "no SKU")],
        ),
        f"Order {OID}: stock reserved (its placement had failed)",
        [f"Order {OID}: stock reserved"],
        {"Reason": "no longer failing: stock reserved", "Why": "Could not be placed: no SKU"},
        [],
        [actions.CANCEL_START, actions.VIEW_ORDER],
        id="placement-failed-then-placed",
    ),
    pytest.param(
        view("placement_failed", order(**FAILED), state="handled", handled_by="U0ADMIN"),
        f"Order {OID} could not be placed on Etsy: SKU not on Etsy — "
        "no Etsy listing has SKU TT-GHOST-1",
        [f"Order {OID} could not be placed on Etsy"],
        {},
        [Byline("Handled by ", "U0ADMIN")],
        [actions.VIEW_ORDER],
        id="placement-failed-handled",
    ),
    pytest.param(
        view(
            "delivery_failed",
            order(**DELIVERY),
            lines=[LINE],
            reservations=[reservation("reserved")],
        ),
        f"Delivery failed: order {OID} (Package lost); the units wait for a restock when the "
        "parcel is back",
        [f"Delivery failed: order {OID}"],
        {
            "Reason": "Package lost",
            "TikTok says": "Package lost",
            "Etsy stock": "reserved: ETSY-MUG ×2 (listing 7)",
        },
        [Byline("Cancelled by TikTok: Package lost")],
        [actions.RESTOCK, actions.MARK_HANDLED, actions.VIEW_ORDER],
        id="delivery-failed",
    ),
    pytest.param(
        view(
            "delivery_failed",
            order(**DELIVERY, placement="restored"),
            state="handled",
            handled_by="cli",
            reservations=[reservation("restored")],
            events=[event("restock", "orderbot", at=NOW - timedelta(minutes=30))],
        ),
        f"Delivery failed: order {OID} (Package lost); the units wait for a restock when the "
        "parcel is back",
        [f"Delivery failed: order {OID}"],
        {"Etsy stock": "given back: ETSY-MUG ×2 (listing 7)"},
        [
            Byline("Cancelled by TikTok: Package lost"),
            Byline("Restock asked by ", "orderbot", " at 2026-05-04 11:30 UTC"),
            Byline("Handled by ", "the orderbot operator"),
        ],
        [actions.VIEW_ORDER],
        id="delivery-failed-restocked-and-handled",
    ),
    pytest.param(
        view(
            "order_cancelled",
            order(**CANCELLED, cancel_initiator="BUYER", placement="restored"),
            reservations=[reservation("restored"), reservation("restore_failed", 1)],
        ),
        f"Order {OID} cancelled by the buyer. Etsy stock: given back: ETSY-MUG ×2 (listing 7); "
        "NOT given back (do it by hand): ETSY-MUG ×1 (listing 7)",
        [f"Order {OID} cancelled by the buyer"],
        {"Reason": "Out of stock", "Price": "19.99 USD"},
        [],  # its own news: no "cancelled by" line on the cancellation alert itself
        [actions.VIEW_ORDER],
        id="order-cancelled",
    ),
    pytest.param(
        view("new_order", None),
        "This alert's order is no longer known.",
        [],
        {},
        [],
        [],
        id="order-gone",
    ),
]


@pytest.mark.parametrize(("alert", "text", "titles", "shown", "lines", "ids"), ALERTS)
def test_what_an_alert_says(alert, text, titles, shown, lines, ids):
    reply = content_of(alert)
    assert reply.text == text
    assert reply.public and reply.ok
    assert headings(reply) == titles
    assert shown.items() <= facts(reply).items()
    assert bylines(reply) == lines
    assert buttons(reply) == ids
    if ids:  # the buttons come last, after who changed the order
        assert isinstance(reply.blocks[-1], Actions)


def members(n: int) -> list[Order]:
    return [order(id=i, tiktok_order_id=f"5764600000000000{i:02d}") for i in range(n)]


@pytest.mark.parametrize(("count", "rows", "more"), [(6, 6, None), (12, 10, "… and 2 more.")])
def test_a_summary_lists_its_first_orders_and_offers_them_all(count, rows, more):
    summary = AlertView(
        key="new_orders:20260504T120000.000000Z",
        kind="new_orders",
        state="posted",
        handled_by=None,
        members=members(count),
        member_count=count,
    )
    reply = content_of(summary)
    assert reply.text == f"{count} new TikTok orders"
    (table,) = [b for b in reply.blocks if isinstance(b, Table)]
    assert len(table.rows) == rows and table.rows[0][0] == "576460000000000000"
    notes = [b.text for b in reply.blocks if isinstance(b, Paragraph)]
    assert notes == ([more] if more else [])
    (actions_block,) = [b for b in reply.blocks if isinstance(b, Actions)]
    assert actions_block.buttons == (
        Button("View all", actions.VIEW_ALL_NEW, summary.key, style="primary"),
    )


def digest(**changes) -> DigestView:
    values = {
        "day": "2026-05-04",
        "timezone": "UTC",
        "counts": {"awaiting-shipment": 2, "failed": 1},
        "failures": {"sku_unmatched": 1},
        "failed": [order(**FAILED, tiktok_order_id="576460000000000009")],
        "waiting": [
            order(paid_at=NOW - timedelta(hours=29)),
            order(id=2, tiktok_order_id="576460000000000002", created_at=NOW - timedelta(hours=3)),
        ],
        "last_fetch": None,
        "now": NOW,
    }
    return DigestView(**{**values, **changes})


QUIET_SHIPPING = "To ship: nothing is due today and nothing is late."
DIGESTS = [
    pytest.param(
        digest(),
        "Daily digest 2026-05-04: 1 failed, longest wait for shipment 1 d 5 h",
        [
            "Daily digest — 2026-05-04",
            "Failed: 1 (SKU not on Etsy 1)",
            "Waiting longest for shipment",
        ],
        [
            (
                "576460000000000009",
                "SKU not on Etsy",
                "no Etsy listing has SKU TT-GHOST-1",
                "2026-05-04 10:00 UTC",
            )
        ],
        [
            (OID, "2026-05-04 10:00 UTC", "1 d 5 h", "19.99 USD"),
            ("576460000000000002", "2026-05-04 09:00 UTC", "3 h", "19.99 USD"),
        ],
        [QUIET_SHIPPING],
        [Button("Show failed orders", actions.PAGE, "failed|1")],
        id="failures-and-waiting",
    ),
    pytest.param(
        digest(
            failures={},
            failed=[],
            waiting=[],
            last_fetch=FetchState(shop_id=1, last_error="TikTok is unavailable"),
        ),
        "Daily digest 2026-05-04: 0 failed, longest wait for shipment none",
        ["Daily digest — 2026-05-04", "Failed: 0", "Waiting longest for shipment"],
        None,
        None,
        [
            "The last fetch stopped: TikTok is unavailable",
            QUIET_SHIPPING,
            "Nothing is waiting for shipment.",
        ],
        [],
        id="a-quiet-day-after-a-failed-fetch",
    ),
    pytest.param(
        digest(failures={}, failed=[], ships_due_today=3, ships_late=1),
        "Daily digest 2026-05-04: 0 failed, longest wait for shipment 1 d 5 h",
        ["Daily digest — 2026-05-04", "Failed: 0", "Waiting longest for shipment"],
        None,
        [
            (OID, "2026-05-04 10:00 UTC", "1 d 5 h", "19.99 USD"),
            ("576460000000000002", "2026-05-04 09:00 UTC", "3 h", "19.99 USD"),
        ],
        [
            "To ship: 3 due today, 1 late (past the ship-by time). /orders due lists them.",
        ],
        [],
        id="orders-to-ship-today-and-late",
    ),
]


@pytest.mark.parametrize(("day", "text", "titles", "failed", "waiting", "notes", "offer"), DIGESTS)
def test_what_the_digest_says(day, text, titles, failed, waiting, notes, offer):
    reply = digest_content(day)
    assert reply.text == text
    assert headings(reply) == titles
    tables = {b.columns[1]: b.rows for b in reply.blocks if isinstance(b, Table)}
    assert tables.get("Reason") == (tuple(failed) if failed else None)
    assert tables.get("Created At") == (tuple(waiting) if waiting else None)
    paragraphs = [b.text for b in reply.blocks if isinstance(b, Paragraph)]
    assert paragraphs[0].startswith("On Hold 0 · Awaiting Shipment 2 · ")
    assert paragraphs[1:] == notes
    assert [b for block in reply.blocks if isinstance(block, Actions) for b in block.buttons] == (
        offer
    )
