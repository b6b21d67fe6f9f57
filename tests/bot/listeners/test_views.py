"""Forms (bot/listeners/views/) submitted over signed HTTP to the served app, with the real
core behind it: what opens them, the fields checked in the ack, refusals, and the outcome shown
in the modal."""

import pytest

from commands import actions, policy
from commands.context import Actor
from commands.types import Cancel, Help, Map
from tests.utils.ids import ADMIN, GUEST
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
