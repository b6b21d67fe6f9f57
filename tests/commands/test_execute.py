"""`execute` straight against the core's Services on the marketplace emulators: no Slack, only
the renderer-neutral Reply and what changed in the store and on the marketplaces."""

from typing import get_args

import pytest

from commands import actions, policy
from commands.context import Actor, Context
from commands.execute import execute
from commands.interactions import command_for
from commands.parse import USAGE, parse
from commands.replies import (
    Actions,
    Form,
    Heading,
    History,
    KeyValues,
    Paragraph,
    SearchField,
    Table,
    TextField,
)
from commands.types import (
    Cancel,
    Command,
    Due,
    Fetch,
    Help,
    Invalid,
    Map,
    Mappings,
    MarkHandled,
    Restock,
    Retry,
    RetryAll,
    ReturnApprove,
    ReturnReject,
    ReturnRestock,
    Returns,
    Ship,
    Show,
    Status,
    Stock,
    Unmap,
    ViewAllFailed,
    ViewAllNew,
)
from sync.sections import Section
from tests.utils import ids
from tests.utils.catalog import stock, unique_sku

ADMIN = Actor(ids.ADMIN, is_admin=True)
GUEST = Actor(ids.GUEST, is_admin=False)
OUT_OF_STOCK = "seller_cancel_reason_out_of_stock"


def run(core, command, actor=ADMIN, *, confirmed=False):
    return execute(command, Context(core.services, actor, confirmed=confirmed))


def blocks_of(reply, kind) -> list:
    return [block for block in reply.blocks if isinstance(block, kind)]


def buttons_of(reply) -> list:
    return [button for block in blocks_of(reply, Actions) for button in block.buttons]


def test_help_lists_every_command(core):
    reply = run(core, Help(), GUEST)
    assert reply.ok and blocks_of(reply, KeyValues)[0].items == USAGE
    assert blocks_of(reply, Heading)[0].text.startswith("orderbot")


def test_what_was_not_understood_says_why_and_where_to_look(core):
    reply = run(core, parse("frobnicate"), GUEST)
    assert not reply.ok and reply.text.startswith('Unknown command "frobnicate"')
    assert sum("/orders help" in p.text for p in blocks_of(reply, Paragraph)) == 1  # once
    assert run(core, Invalid("Nope."), GUEST).text == "Nope."


def test_the_status_grid_pages_through_a_section(core, shops):
    shops.tiktok.seed_orders(25, statuses={"AWAITING_SHIPMENT": 1.0})
    core.services.engine.fetch()

    first = run(core, Status(None), GUEST)
    (table,) = blocks_of(first, Table)
    assert len(table.rows) == 20 and table.columns[0] == "TTS order ID"
    assert "All orders — page 1 of 2 (25 orders)" in [h.text for h in blocks_of(first, Heading)]
    assert [command_for(b.action_id, b.value) for b in buttons_of(first)] == [Status(None, 2)]

    second = run(core, Status(None, 2), GUEST)
    (rest,) = blocks_of(second, Table)
    assert len(rest.rows) == 5
    assert {row[0] for row in rest.rows}.isdisjoint(row[0] for row in table.rows)
    assert [b.label for b in buttons_of(second)] == ["Previous"]

    past = run(core, Status(None, 3), GUEST)
    assert "page 3 is past the end" in past.text and not blocks_of(past, Table)
    empty = run(core, Status(Section.COMPLETED), GUEST)
    assert empty.text == "Completed: No orders are Completed."


def test_show_gives_one_order_with_its_history_and_buttons(core, shops):
    order_id = shops.tiktok.add_order(skus=[unique_sku(shops)])["id"]
    core.services.engine.fetch()

    reply = run(core, Show(order_id), GUEST)

    assert reply.ok and blocks_of(reply, Heading)[0].text == f"Order {order_id}"
    facts = dict(blocks_of(reply, KeyValues)[0].items)
    assert facts["Section"] == "Awaiting Shipment" and facts["On Etsy"] == "stock reserved"
    (history,) = blocks_of(reply, History)
    assert history.entries[0].text.startswith("Created (Awaiting Shipment)")
    assert [command_for(b.action_id, b.value) for b in buttons_of(reply)] == [
        Ship(order_id),
        Cancel(order_id),
    ]
    unknown = run(core, Show("999999999999999999"), GUEST)
    assert not unknown.ok and "No order 999999999999999999 is known" in unknown.text


def test_cancel_asks_for_a_reason_then_a_confirmation_then_cancels(core, shops):
    sku = unique_sku(shops)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    core.services.engine.fetch()
    reserved = stock(shops, sku)

    form = run(core, Cancel(order_id)).form
    assert isinstance(form, Form) and form.callback_id == actions.CANCEL_FORM
    assert form.private_metadata == order_id
    assert OUT_OF_STOCK in [value for value, _ in form.fields[0].options]

    prompt = run(core, Cancel(order_id, "out of stock"))
    (confirm,) = buttons_of(prompt)
    assert confirm.style == "danger" and confirm.confirm is not None
    assert command_for(confirm.action_id, confirm.value) == Cancel(order_id, OUT_OF_STOCK)
    assert shops.tiktok.order(order_id)["status"] == "AWAITING_SHIPMENT"  # asking changed nothing

    done = run(core, Cancel(order_id, OUT_OF_STOCK), confirmed=True)
    assert done.ok and done.public
    assert done.text.startswith(f"Order {order_id} cancelled on TikTok Shop (Out of stock)")
    assert shops.tiktok.order(order_id)["status"] == "CANCELLED"
    assert stock(shops, sku) == reserved + 1

    again = run(core, Cancel(order_id, OUT_OF_STOCK), confirmed=True)
    assert not again.ok and again.text.startswith(f"Order {order_id} is Cancelled; ")
    assert len([c for c in shops.tiktok.cancellations() if c["order_id"] == order_id]) == 1


def test_cancel_refuses_what_tiktok_would_refuse(core, shops):
    shipped = shops.tiktok.add_order(skus=[unique_sku(shops)], status="IN_TRANSIT")["id"]
    waiting = shops.tiktok.add_order(skus=[unique_sku(shops)])["id"]
    core.services.engine.fetch()

    late = run(core, Cancel(shipped, OUT_OF_STOCK), confirmed=True)
    assert not late.ok and "TikTok lets a seller cancel only orders that have not shipped" in (
        late.text
    )
    odd = run(core, Cancel(waiting, "because"), confirmed=True)
    assert not odd.ok and "“because” is not a cancel reason TikTok accepts" in odd.text
    assert shops.tiktok.cancellations() == []


def test_a_cancel_tiktok_cannot_take_is_answered_and_can_be_tried_again(core, shops):
    order_id = shops.tiktok.add_order(skus=[unique_sku(shops)])["id"]
    core.services.engine.fetch()
    shops.tiktok.faults.error_rate = 1.0

    down = run(core, Cancel(order_id, OUT_OF_STOCK), confirmed=True)

    assert not down.ok and "it is not cancelled. Try again in a moment." in down.text
    shops.tiktok.faults.error_rate = 0.0
    assert run(core, Cancel(order_id, OUT_OF_STOCK), confirmed=True).ok


def test_the_cli_operator_cancels_without_being_asked(core, shops):
    order_id = shops.tiktok.add_order(skus=[unique_sku(shops)])["id"]
    core.services.engine.fetch()
    operator = Actor("cli", is_admin=True, trusted=True)
    assert run(core, Cancel(order_id, "out of stock"), operator).ok
    assert shops.tiktok.order(order_id)["status"] == "CANCELLED"


def test_retry_answers_what_still_fails_and_what_had_nothing_to_retry(core, shops):
    failing = shops.tiktok.add_order(skus=["TT-GHOST-1"])["id"]
    placed = shops.tiktok.add_order(skus=[unique_sku(shops)])["id"]
    core.services.engine.fetch()

    still = run(core, Retry(failing), confirmed=True)
    assert not still.ok and still.text.startswith(f"Order {failing} still cannot be placed: ")
    assert "TT-GHOST-1" in still.text
    nothing = run(core, Retry(placed), confirmed=True)
    assert not nothing.ok and nothing.text == (
        f"Order {placed} has no failed placement to retry (it is Awaiting Shipment)."
    )


def test_map_records_the_mapping_and_places_what_failed_on_it(core, shops):
    before = stock(shops, "TOTE-CANVAS")
    order_id = shops.tiktok.add_order(skus=["TT-TOTE-CANVAS"])["id"]
    core.services.engine.fetch()

    reply = run(core, Map("TT-TOTE-CANVAS", "TOTE-CANVAS"), confirmed=True)

    assert reply.ok and reply.public
    assert reply.text == (
        "Mapped TikTok SKU TT-TOTE-CANVAS → Etsy SKU TOTE-CANVAS. "
        "Retried 1 order: 1 placed, 0 still failed."
    )
    assert blocks_of(reply, Table)[0].rows == ((order_id, "stock reserved", ""),)
    assert stock(shops, "TOTE-CANVAS") == before - 1
    quiet = run(core, Map("TT-NOBODY", "BOWL-LOW"), confirmed=True)
    assert quiet.text.endswith("No failed orders were waiting on it.")


def test_map_without_an_etsy_sku_answers_with_the_filled_in_form(core):
    reply = run(core, Map("TT-TOTE-CANVAS"))
    assert reply.form is not None and reply.form.callback_id == actions.MAP_SKU_FORM
    assert [(f.id, f.initial) for f in reply.form.fields if isinstance(f, TextField)] == [
        ("tiktok_sku", "TT-TOTE-CANVAS"),
    ]
    assert [f.id for f in reply.form.fields if isinstance(f, SearchField)] == ["etsy_sku"]


def test_restock_without_reserved_stock_is_refused(core, shops):
    order_id = shops.tiktok.add_order(skus=["TT-GHOST-1"])["id"]
    core.services.engine.fetch()
    reply = run(core, Restock(order_id), confirmed=True)
    assert not reply.ok and reply.text == f"Order {order_id} has no reserved stock to give back."


# One command of each kind, aimed at a real order so that running it would change things.
def one_of_each(order_id: str) -> dict:
    samples = {
        Help: Help(),
        Fetch: Fetch(),
        Status: Status(None),
        Show: Show(order_id),
        ViewAllNew: ViewAllNew(f"new_orders:{order_id}"),
        Invalid: Invalid("Nope."),
        Cancel: Cancel(order_id, OUT_OF_STOCK),
        Map: Map("TT-TOTE-CANVAS", "TOTE-CANVAS"),
        Mappings: Mappings(),
        Unmap: Unmap("TT-TOTE-CANVAS"),
        Retry: Retry(order_id),
        Restock: Restock(order_id),
        MarkHandled: MarkHandled(f"new_order:{order_id}"),
        RetryAll: RetryAll(f"placement_failures:{order_id}"),
        ViewAllFailed: ViewAllFailed(f"placement_failures:{order_id}"),
        Stock: Stock("TT-TOTE-CANVAS"),
        Returns: Returns(),
        ReturnApprove: ReturnApprove("4035560000000000001"),
        ReturnReject: ReturnReject("4035560000000000001", "Item is correct"),
        ReturnRestock: ReturnRestock("4035560000000000001"),
        Ship: Ship(order_id, "usps", "9400111899223456789012"),
        Due: Due(),
    }
    assert set(samples) == set(get_args(Command))  # a new command gets a sample here
    return samples


def test_the_core_refuses_others_exactly_the_admin_only_commands_and_changes_nothing(core, shops):
    order_id = shops.tiktok.add_order(skus=["TT-TOTE-CANVAS"])["id"]
    core.services.engine.fetch()

    refused = set()
    for kind, command in one_of_each(order_id).items():
        reply = run(core, command, GUEST, confirmed=True)
        if reply == policy.refusal(command, GUEST):
            refused.add(kind)
            assert not reply.ok and reply.text.startswith("Only orderbot admins ")

    assert refused == set(policy.ADMIN_ONLY) | set(policy.SHIPPERS_TOO)
    row = core.services.engine.order(order_id)
    assert (row.placement, row.failure_reason) == ("failed", "sku_unmatched")
    assert shops.tiktok.order(order_id)["status"] == "AWAITING_SHIPMENT"
    assert shops.tiktok.cancellations() == []


@pytest.mark.parametrize("kind", sorted(policy.ADMIN_ONLY, key=lambda k: k.__name__))
def test_an_admin_and_the_cli_are_never_refused(kind):
    assert policy.refusal(kind, ADMIN) is None
    assert policy.refusal(kind, Actor("cli", is_admin=False, trusted=True)) is None
    assert policy.refusal(kind, GUEST) is not None


def test_shippers_may_ship_and_nothing_else():
    shipper = Actor("U0PACKER", is_admin=False, is_shipper=True)
    assert policy.refusal(Ship("576460000000000001"), shipper) is None
    assert policy.refusal(Ship("576460000000000001"), ADMIN) is None
    refused = policy.refusal(Ship("576460000000000001"), GUEST)
    assert refused is not None and "ORDERBOT_SHIPPERS" in refused.text
    for kind in policy.ADMIN_ONLY:
        assert policy.refusal(kind, shipper) is not None
