"""`ship` and `due` as replies (commands/shipping.py), on the real core and the sandbox TikTok:
the Ship… form, the answers (TikTok's warning shown), the orders to ship soonest first with time
left or overdue, and the ship-by time on the grid and the order."""

from dataclasses import replace
from datetime import timedelta

from commands.context import Actor, Context
from commands.execute import execute
from commands.replies import ChoicesField, KeyValues, Paragraph, SelectField, Table, TextField
from commands.types import Due, Ship, Show, Status
from sync.sections import Section
from tests.utils import ids
from tests.utils.catalog import unique_skus

SHIPPER = Actor(ids.SHIPPER, is_admin=False, is_shipper=True)


def run(core, command, *, later: timedelta = timedelta()):
    services = core.services
    if later:
        clock = services.clock
        services = replace(services, clock=lambda: clock() + later)
    return execute(command, Context(services, SHIPPER, confirmed=True))


def texts(reply) -> str:
    return " ".join(str(block) for block in reply.blocks)


def order_facts(core, order_id: str) -> dict:
    return dict(next(b for b in run(core, Show(order_id)).blocks if isinstance(b, KeyValues)).items)


def test_the_ship_form_offers_tiktoks_carriers_and_for_several_items_a_split(core, shops):
    one = shops.tiktok.add_order(skus=unique_skus(shops, 1))["id"]
    two = shops.tiktok.add_order(skus=unique_skus(shops, 2))["id"]
    core.services.engine.fetch()

    form = run(core, Ship(one)).form
    assert form is not None and form.private_metadata == one
    carrier, tracking = form.fields
    assert isinstance(carrier, SelectField) and isinstance(tracking, TextField)
    assert [name for _, name in carrier.options][:3] == ["USPS", "UPS", "UPS Mail Innovations"]
    assert "ship by" in form.intro and "left)" in form.intro

    split = run(core, Ship(two)).form
    (items,) = [f for f in split.fields if isinstance(f, ChoicesField)]
    assert len(items.options) == 2 and items.optional


def test_ship_answers_in_the_channel_with_tiktoks_warning(core, shops):
    order_id = shops.tiktok.add_order(skus=unique_skus(shops, 1))["id"]
    core.services.engine.fetch()
    reply = run(core, Ship(order_id, "usps", "9200190123456789012399"))
    assert reply.ok and reply.public
    assert f"Order {order_id} shipped with USPS" in reply.text
    assert "TikTok warns: match more than one provider" in texts(reply)

    form = run(core, Ship(order_id)).form  # shipped: the form corrects the tracking
    assert form.title == "Correct tracking" and "one tracking correction" in form.intro


def test_an_on_hold_order_gets_a_clear_answer(core, shops):
    order_id = shops.tiktok.add_order(skus=unique_skus(shops, 1), status="ON_HOLD")["id"]
    core.services.engine.fetch()
    for command in (Ship(order_id), Ship(order_id, "usps", "9400111899223456789061")):
        reply = run(core, command)
        assert not reply.ok and "on hold" in reply.text and reply.form is None
    assert shops.tiktok.order(order_id)["status"] == "ON_HOLD"


def test_due_lists_what_is_to_ship_soonest_first_with_time_left_or_overdue(core, shops):
    now_s = int(shops.clock.now())
    second = shops.tiktok.add_order(skus=unique_skus(shops, 1))["id"]
    # Paid three days earlier: an earlier ship-by time.
    first = shops.tiktok.add_order(skus=unique_skus(shops, 1), create_time=now_s - 3 * 86400)["id"]
    shipped = shops.tiktok.add_order(skus=unique_skus(shops, 1), status="IN_TRANSIT")["id"]
    by_tiktok = shops.tiktok.add_order(skus=unique_skus(shops, 1), shipping_type="TIKTOK")["id"]
    core.services.engine.fetch()

    reply = run(core, Due())
    (table,) = [b for b in reply.blocks if isinstance(b, Table)]
    listed = [row[0] for row in table.rows]
    assert listed == [first, second]
    assert shipped not in listed and by_tiktok not in listed
    assert all(row[2].endswith("left") for row in table.rows)
    assert "2 orders to ship, 0 overdue" in reply.text

    late = run(core, Due(), later=timedelta(days=12))
    (table,) = [b for b in late.blocks if isinstance(b, Table)]
    assert all(row[2].startswith("overdue by") for row in table.rows)
    assert "2 orders to ship, 2 overdue" in late.text

    past = run(core, Due(5))
    assert "past the end" in past.text


def test_no_orders_to_ship_says_so(core):
    reply = run(core, Due())
    assert reply.ok and [b.text for b in reply.blocks if isinstance(b, Paragraph)] == [
        "No orders are waiting to be shipped by you."
    ]


def test_the_grid_and_the_order_carry_the_ship_by_time(core, shops):
    order_id = shops.tiktok.add_order(skus=unique_skus(shops, 1))["id"]
    core.services.engine.fetch()

    grid = run(core, Status(Section.AWAITING_SHIPMENT))
    (table,) = [b for b in grid.blocks if isinstance(b, Table)]
    at = table.columns.index("Ship By")
    assert table.columns[at - 1] == "Order Status" and table.rows[0][at].endswith("left)")

    facts = dict(
        next(b for b in run(core, Show(order_id)).blocks if isinstance(b, KeyValues)).items
    )
    assert facts["Ship by"].endswith("left)") and "if not shipped" in facts["TikTok cancels it"]

    run(core, Ship(order_id, "ups", "1Z999AA10123456799"))
    facts = dict(
        next(b for b in run(core, Show(order_id)).blocks if isinstance(b, KeyValues)).items
    )
    assert facts["Tracking"] == "UPS 1Z999AA10123456799" and "Ship by" not in facts
    assert facts["Section"] == "Awaiting Collection"
    grid = run(core, Status(Section.AWAITING_COLLECTION))
    (table,) = [b for b in grid.blocks if isinstance(b, Table)]
    assert "Ship By" not in table.columns
