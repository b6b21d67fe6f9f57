"""What a seller reads: reasons, statuses, history and who did it in words, never stored codes;
history in the order things happened."""

import re
from datetime import UTC, datetime

from commands import views, words
from commands.context import Actor, Context
from commands.execute import execute
from commands.parse import parse
from commands.replies import History, KeyValues, Table
from commands.types import Cancel, Fetch, Help, Show, Status
from orderbot.render_text import render_text
from storage.models import Order, OrderEvent
from storage.states import EventKind, FailureReason
from sync.sections import Section
from tests.utils.catalog import stock

OPERATOR = Actor("cli", is_admin=True, trusted=True)
# Stored codes that must never reach a reader: snake_case and SHOUTING_CASE words, "(s)".
CODE = re.compile(r"\b[a-z]+_[a-z_]+\b|\b[A-Z]+_[A-Z_]+\b|\(s\)")


def run(core, command):
    return execute(command, Context(core.services, OPERATOR))


def unique_sku(shops) -> str:
    return next(s for s in shops.catalog.cases["unique"] if stock(shops, s) >= 3)


def test_no_reply_shows_a_stored_code(core, shops):
    sku = unique_sku(shops)
    placed = shops.tiktok.add_order(skus=[sku])["id"]
    failed = [
        shops.tiktok.add_order(skus=["TT-GHOST-1"])["id"],
        shops.tiktok.add_order(skus=["CANDLE-SOY"])["id"],
        shops.tiktok.add_order(skus=["PIN-SOLDOUT"])["id"],
    ]
    fetched = run(core, Fetch())
    run(core, Cancel(placed, "out of stock"))
    replies = [
        fetched,
        run(core, Help()),
        run(core, Status(None)),
        run(core, Status(Section.FAILED)),
    ]
    replies += [run(core, Show(order_id)) for order_id in [placed, *failed]]
    for reply in replies:
        text = re.sub(r"<[a-z_]+>", "", render_text(reply, width=160))  # help's <order_id>
        assert not CODE.search(text), CODE.search(text).group(0) + "\n" + text
        assert "Who: cli" not in text and " cli " not in text
        assert "Cancelled · Cancelled" not in text


def test_history_reads_as_sentences_in_the_order_things_happened(core, shops):
    sku = unique_sku(shops)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    run(core, Fetch())
    run(core, Cancel(order_id, "out of stock"))

    (history,) = [b for b in run(core, Show(order_id)).blocks if isinstance(b, History)]
    texts = [entry.text for entry in history.entries]
    assert texts[0] == "Created (Awaiting Shipment), 1 item"
    assert texts[1].startswith(f"Reserved on Etsy: {sku} ×1 on listing ")
    asked = texts.index("Asked TikTok to cancel: Out of stock")
    confirmed = texts.index("Cancelled by you: Out of stock (TikTok confirmed)")
    changed = texts.index("Status changed: Awaiting Shipment → Cancelled")
    given = next(i for i, text in enumerate(texts) if text.startswith("Stock given back: "))
    assert asked < confirmed and asked < changed < given and confirmed < given
    assert [e.actor for e in history.entries][asked] == "orderbot operator"


def test_within_a_second_the_order_of_recording_is_the_true_order():
    # TikTok stamps its status change in whole seconds: it can read earlier than the request
    # (half a second into that second) that caused it.
    def at(second, micro=0):
        return datetime(2026, 5, 4, 19, 18, second, micro, tzinfo=UTC)

    request = OrderEvent(id=10, order_id=1, at=at(5, 500_000), actor="U1", kind="cancel_requested")
    confirmed = OrderEvent(id=11, order_id=1, at=at(5, 700_000), actor="U1", kind="cancelled")
    status = OrderEvent(id=12, order_id=1, at=at(5), actor="tiktok", kind="status")
    restored = OrderEvent(id=13, order_id=1, at=at(5, 900_000), actor="orderbot", kind="restored")
    created = OrderEvent(id=3, order_id=1, at=at(1), actor="tiktok", kind="created")

    newest_first = [restored, status, confirmed, request, created]
    assert views.in_order(newest_first) == [created, request, confirmed, status, restored]


def test_every_kind_of_history_entry_and_reason_has_words():
    for kind in EventKind:
        text = words.event(OrderEvent(order_id=1, at=datetime.now(UTC), actor="x", kind=kind))
        assert text and not CODE.search(text), (kind, text)
    for reason in FailureReason:
        assert words.reason(reason) and "_" not in words.reason(reason)
    assert words.reason("sku_unmatched") == "SKU not on Etsy"
    assert words.reason("sku_ambiguous") == "SKU on several Etsy listings"
    assert words.reason("insufficient_stock") == "Not enough stock on Etsy"
    assert words.reason("etsy_error") == "Etsy refused the update"
    assert words.actor("cli") == "orderbot operator" and words.actor("U0ADMIN") == "U0ADMIN"
    assert (words.plural(1, "page"), words.plural(2, "page")) == ("1 page", "2 pages")


def test_cancelling_a_failed_or_held_order_says_nothing_was_reserved(core, shops):
    failed = shops.tiktok.add_order(skus=["TT-GHOST-1"])["id"]
    held = shops.tiktok.add_order(skus=[unique_sku(shops)], status="ON_HOLD")["id"]
    run(core, Fetch())

    after_failure = run(core, Cancel(failed, "pricing error")).text
    after_hold = run(core, Cancel(held, "pricing error")).text

    assert "Etsy stock: nothing was reserved (placement had failed)." in after_failure
    assert "Etsy stock: nothing was reserved (it was on hold)." in after_hold
    assert "fulfilled by TikTok" not in after_failure + after_hold
    # A cancelled order's reason is its cancellation's, not the placement failure before it.
    facts = dict(next(b for b in run(core, Show(failed)).blocks if isinstance(b, KeyValues)).items)
    assert facts["Cancel reason"] == "Pricing error (by you)" and "Why" not in facts
    assert facts["On Etsy"] == "nothing was reserved (placement had failed)"
    assert facts["TikTok status"] == "Cancelled"
    grid = next(b for b in run(core, Status(Section.CANCELLED)).blocks if isinstance(b, Table))
    row = next(row for row in grid.rows if row[0] == failed)
    assert row[5:] == ("Cancelled", "Pricing error (by you)")


def test_the_fetch_summary_says_what_it_read_and_why_orders_failed(core, shops):
    shops.tiktok.add_order(skus=["TT-GHOST-1"])
    first = dict(next(b for b in run(core, Fetch()).blocks if isinstance(b, KeyValues)).items)
    assert first["Failed"] == "1 (SKU not on Etsy: 1)"
    again = run(core, parse("fetch"))
    facts = dict(next(b for b in again.blocks if isinstance(b, KeyValues)).items)
    seen = int(facts["Orders seen"].split()[0])
    assert seen == 0 or facts["Orders seen"] == f"{seen} ({seen} re-read, unchanged)"


def test_a_cancelled_order_whose_stock_is_still_out_says_it_is_being_given_back():
    def order(**fields):
        return Order(
            tiktok_order_id="1", tiktok_status="CANCELLED", fulfilled_by="SELLER", **fields
        )

    assert views.stock_text(order(placement="placed")) == (
        "being given back (the order is cancelled)"
    )
    lost = order(placement="placed", failure_reason="package_lost")
    assert views.stock_text(lost) == "stock reserved"  # a failed delivery waits for Restock
    assert views.stock_text(order(placement="restored")) == "stock given back"
