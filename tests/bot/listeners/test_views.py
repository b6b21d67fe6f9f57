"""Forms (bot/listeners/views/) submitted over signed HTTP to the served app, with the real
core behind it: what opens them, the fields checked in the ack, refusals, and the outcome shown
in the modal."""

import pytest

from commands import actions, policy
from commands.context import Actor
from commands.types import Cancel, Help, Map, Ship
from tests.utils.catalog import stock
from tests.utils.ids import ADMIN, GUEST, SHIPPER
from tests.utils.slack_flows import click, command, responses, submit

NON_ADMIN = Actor(GUEST, is_admin=False)


def open_cancel_form(slack, slack_api, spy, order_id):
    command(slack, slack_api, spy, f"cancel {order_id}", key="c")
    slack_api.wait_for(lambda: slack_api.calls("views.open"))
    return slack_api.views()[0]


def test_cancel_from_a_button_opens_the_form_and_its_submission_cancels(
    slack, slack_api, world, spy
):
    order_id = world.new_order()
    click(slack, slack_api, spy, actions.CANCEL_START, order_id)
    slack_api.wait_for(lambda: slack_api.calls("views.open"))
    (view,) = slack_api.views()
    assert view["callback_id"] == actions.CANCEL_FORM and view["private_metadata"] == order_id
    reason = next(b for b in view["blocks"] if b["type"] == "input")["element"]["options"][0]

    answer = submit(slack, spy, view, {"reason": reason["value"]}, user=ADMIN)
    assert answer.status == 200
    ack = answer.json()
    assert ack["response_action"] == "update"
    assert "Cancelling order" in str(ack["view"]["blocks"])
    (update,) = slack_api.wait_for(lambda: slack_api.calls("views.update"))
    assert update.body["view_id"] == view["id"]
    assert f"Order {order_id} cancelled" in str(update.body["view"]["blocks"])
    assert world.shops.tiktok.order(order_id)["status"] == "CANCELLED"
    executed, ctx = spy.executed[-1]
    assert executed == Cancel(order_id, reason["value"])
    assert ctx.confirmed


def test_a_form_without_a_reason_is_sent_back_with_an_error(slack, slack_api, world, spy):
    order_id = world.new_order()
    view = open_cancel_form(slack, slack_api, spy, order_id)
    answer = submit(slack, spy, view, {}, user=ADMIN)
    assert answer.json() == {"response_action": "errors", "errors": {"reason": "Choose a reason."}}
    assert [type(c) for c in spy.commands()] == [Cancel]  # only the form's own request
    assert world.shops.tiktok.order(order_id)["status"] == "AWAITING_SHIPMENT"


def test_a_forged_submission_from_a_non_admin_is_refused(slack, slack_api, world, spy):
    order_id = world.new_order()
    view = open_cancel_form(slack, slack_api, spy, order_id)
    spy.reset()
    answer = submit(slack, spy, view, {"reason": "seller_cancel_reason_out_of_stock"}, user=GUEST)
    ack = answer.json()
    assert ack["response_action"] == "update"
    assert policy.refusal(Cancel, NON_ADMIN).text in str(ack["view"]["blocks"])
    command(slack, slack_api, spy, "help", key="h")
    responses(slack_api, "h")
    assert all(not isinstance(c, Cancel) for c in spy.commands())
    assert world.shops.tiktok.order(order_id)["status"] == "AWAITING_SHIPMENT"


def test_map_sku_button_opens_a_filled_form_and_submitting_maps(slack, slack_api, spy):
    click(slack, slack_api, spy, actions.MAP_SKU_START, "TT-UNKNOWN-1")
    slack_api.wait_for(lambda: slack_api.calls("views.open"))
    (view,) = slack_api.views()
    assert view["callback_id"] == actions.MAP_SKU_FORM
    prefilled = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"][1:]}
    assert prefilled == {"tiktok_sku": "TT-UNKNOWN-1", "etsy_sku": None}

    missing = submit(slack, spy, view, {"tiktok_sku": "TT-UNKNOWN-1"}, user=ADMIN)
    assert missing.json() == {
        "response_action": "errors",
        "errors": {"etsy_sku": "Enter the Etsy SKU."},
    }
    values = {"tiktok_sku": "TT-UNKNOWN-1", "etsy_sku": "TOTE-CANVAS"}
    answer = submit(slack, spy, view, values, user=ADMIN)
    assert answer.json()["response_action"] == "update"
    (update,) = slack_api.wait_for(lambda: slack_api.calls("views.update"))
    assert "Mapped TikTok SKU TT-UNKNOWN-1 → Etsy SKU TOTE-CANVAS" in str(update.body["view"])
    assert spy.commands() == [Map("TT-UNKNOWN-1"), Map("TT-UNKNOWN-1", "TOTE-CANVAS")]


@pytest.mark.parametrize(
    "etsy_sku, error",
    [
        ("E" * 201, "too long for a SKU (limit 200 characters)"),
        ("MUG 01", "SKUs have no spaces"),
        ("<@U0ADMIN>", "is a Slack mention or link, not a SKU"),
        ("MUG\u202e01", "control character (U+202E)"),
    ],
    ids=["too-long", "space", "mention", "bidi"],
)
def test_the_map_form_checks_skus_as_the_command_does(slack, slack_api, spy, etsy_sku, error):
    click(slack, slack_api, spy, actions.MAP_SKU_START, "TT-UNKNOWN-2")
    slack_api.wait_for(lambda: slack_api.calls("views.open"))
    (view,) = slack_api.views()
    values = {"tiktok_sku": "TT-UNKNOWN-2", "etsy_sku": etsy_sku}
    answer = submit(slack, spy, view, values, user=ADMIN).json()
    assert answer["response_action"] == "errors" and list(answer["errors"]) == ["etsy_sku"]
    assert error in answer["errors"]["etsy_sku"]
    command(slack, slack_api, spy, "help", key="h")
    responses(slack_api, "h")  # the lazy half of the submission would have run by now
    assert spy.commands() == [Map("TT-UNKNOWN-2"), Help()]
    assert slack_api.calls("views.update") == []


# --- the Ship form (SPEC §4.1) ----------------------------------------------------------------


def two_item_order(world) -> str:
    unique = world.shops.catalog.cases["unique"]
    skus = sorted(unique, key=lambda s: -stock(world.shops, s))[:2]
    order_id = world.shops.tiktok.add_order(skus=skus)["id"]
    assert world.services.engine.fetch().error is None
    return order_id


def open_ship_form(slack, slack_api, spy, order_id, user=SHIPPER) -> dict:
    click(slack, slack_api, spy, actions.SHIP_START, order_id, user=user)
    slack_api.wait_for(lambda: slack_api.calls("views.open"))
    (view,) = slack_api.views()
    return view


def test_a_shipper_ships_some_items_from_the_form_and_the_order_moves(slack, slack_api, world, spy):
    order_id = two_item_order(world)
    view = open_ship_form(slack, slack_api, spy, order_id)
    assert view["callback_id"] == actions.SHIP_FORM and view["private_metadata"] == order_id
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert set(inputs) == {
        actions.SHIP_CARRIER_FIELD,
        actions.SHIP_TRACKING_FIELD,
        actions.SHIP_ITEMS_FIELD,
    }
    carriers = {
        o["text"]["text"]: o["value"] for o in inputs[actions.SHIP_CARRIER_FIELD]["options"]
    }
    assert list(carriers)[:2] == ["USPS", "UPS"]
    first_item = inputs[actions.SHIP_ITEMS_FIELD]["options"][0]["value"]

    values = {
        actions.SHIP_CARRIER_FIELD: carriers["USPS"],
        actions.SHIP_TRACKING_FIELD: "9400 1118 9922 3456 7890 31",
        actions.SHIP_ITEMS_FIELD: first_item,
    }
    ack = submit(slack, spy, view, values, user=SHIPPER).json()
    assert ack["response_action"] == "update" and "Sending tracking" in str(ack["view"])
    (update,) = slack_api.wait_for(lambda: slack_api.calls("views.update"))
    assert f"1 item of order {order_id} shipped with USPS" in str(update.body["view"])
    assert world.shops.tiktok.order(order_id)["status"] == "PARTIALLY_SHIPPING"
    executed, _ctx = spy.executed[-1]
    assert executed == Ship(order_id, carriers["USPS"], "9400111899223456789031", (first_item,))


def test_a_ship_form_with_a_bad_tracking_number_is_sent_back_and_sends_nothing(
    slack, slack_api, world, spy
):
    order_id = world.new_order()
    view = open_ship_form(slack, slack_api, spy, order_id)
    carrier = next(b for b in view["blocks"] if b["type"] == "input")["element"]["options"][0]
    values = {actions.SHIP_CARRIER_FIELD: carrier["value"], actions.SHIP_TRACKING_FIELD: "94-00"}
    answer = submit(slack, spy, view, values, user=SHIPPER).json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [actions.SHIP_TRACKING_FIELD]
    assert "letters and digits" in answer["errors"][actions.SHIP_TRACKING_FIELD]
    assert [type(c) for c in spy.commands()] == [Ship]  # only the button's own request
    assert world.shops.tiktok.order(order_id)["status"] == "AWAITING_SHIPMENT"


def test_a_forged_ship_submission_from_a_guest_is_refused(slack, slack_api, world, spy):
    order_id = world.new_order()
    view = open_ship_form(slack, slack_api, spy, order_id)
    carrier = next(b for b in view["blocks"] if b["type"] == "input")["element"]["options"][0]
    values = {
        actions.SHIP_CARRIER_FIELD: carrier["value"],
        actions.SHIP_TRACKING_FIELD: "9400111899223456789032",
    }
    ack = submit(slack, spy, view, values, user=GUEST).json()
    assert ack["response_action"] == "update"
    assert "Only orderbot admins and shippers can ship orders" in str(ack["view"])
    assert world.shops.tiktok.order(order_id)["status"] == "AWAITING_SHIPMENT"
