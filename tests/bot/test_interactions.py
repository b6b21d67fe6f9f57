"""Buttons, forms and App Home over signed HTTP, with the real core behind the served app."""

import pytest
from slack_requests import ADMIN, CHANNEL, GUEST, app_home_opened, block_action, slash_command
from slack_requests import submission as view_submission

from commands import actions, policy
from commands.context import Actor
from commands.types import Cancel, Fetch, Help, Map, MarkHandled, Restock, Retry, Show, Status

NON_ADMIN = Actor(GUEST, is_admin=False)


def click(slack, slack_api, action_id, value, *, user=ADMIN, key="r1", **where):
    url = slack_api.response_url(key)
    answer = slack.post(block_action(action_id, value, user=user, response_url=url, **where))
    assert answer.status == 200 and answer.seconds < 2.0, answer.body
    return answer


def responses(slack_api, key="r1", count=1):
    return slack_api.wait_for(
        lambda: len(slack_api.responses(key)) >= count and slack_api.responses(key)
    )


def open_cancel_form(slack, slack_api, order_id):
    answer = slack.post(
        slash_command(f"cancel {order_id}", user=ADMIN, response_url=slack_api.response_url("c"))
    )
    assert answer.status == 200
    (opened,) = slack_api.wait_for(lambda: slack_api.calls("views.open"))
    return slack_api.views()[0]


def test_view_order_answers_privately_beside_the_alert(slack, slack_api, world, spy):
    order_id = world.take("awaiting-shipment")
    click(slack, slack_api, actions.VIEW_ORDER, order_id, is_ephemeral=False)
    (reply,) = responses(slack_api)
    assert reply["replace_original"] is False and reply["response_type"] == "ephemeral"
    assert reply["blocks"][0]["text"]["text"] == f"Order {order_id}"
    types = [b["type"] for b in reply["blocks"]]
    assert types.count("table") == 1  # the second grid (history) is monospace text
    assert spy.commands() == [Show(order_id)]


def test_paging_replaces_the_users_own_grid(slack, slack_api, spy):
    click(slack, slack_api, actions.PAGE, "all|2", is_ephemeral=True)
    (reply,) = responses(slack_api)
    assert reply["replace_original"] is True
    assert any(b.get("accessory", {}).get("type") == "overflow" for b in reply["blocks"])
    (paging,) = [b for b in reply["blocks"] if b["type"] == "actions"]
    assert paging["elements"][0]["value"] == "all|1"  # Previous
    assert spy.commands() == [Status(None, 2)]


def test_paging_from_a_channel_message_leaves_it_alone(slack, slack_api):
    click(slack, slack_api, actions.PAGE, "failed|1", is_ephemeral=False)
    (reply,) = responses(slack_api)
    assert reply["replace_original"] is False and reply["response_type"] == "ephemeral"


def test_a_malformed_button_value_gets_a_clear_answer(slack, slack_api, spy):
    click(slack, slack_api, actions.PAGE, "no-page-here")
    (reply,) = responses(slack_api)
    assert "no longer works" in reply["text"]
    assert spy.commands() == []


def test_confirming_a_cancellation_cancels_once_and_tells_the_channel(slack, slack_api, world):
    order_id = world.take("awaiting-shipment")
    value = f"{order_id}|seller_cancel_reason_out_of_stock"
    click(slack, slack_api, actions.CANCEL_CONFIRM, value, is_ephemeral=True)
    gone, outcome = responses(slack_api, count=2)
    assert gone == {"text": "", "delete_original": True}
    assert outcome["response_type"] == "in_channel"
    assert f"Order {order_id} cancelled" in outcome["text"]
    assert world.shops.tiktok.order(order_id)["status"] == "CANCELLED"
    # A second click on the same prompt changes nothing on TikTok.
    click(slack, slack_api, actions.CANCEL_CONFIRM, value, is_ephemeral=True, key="r2")
    (again,) = responses(slack_api, "r2")
    assert again["response_type"] == "ephemeral"
    cancels = [c for c in world.shops.tiktok.cancellations() if c["order_id"] == order_id]
    assert len(cancels) == 1


def test_a_non_admin_click_is_refused_privately_and_changes_nothing(slack, slack_api, world, spy):
    order_id = world.take("awaiting-shipment")
    clicks = [
        (actions.CANCEL_START, order_id, Cancel),
        (actions.CANCEL_CONFIRM, f"{order_id}|seller_cancel_reason_out_of_stock", Cancel),
        (actions.RETRY_PLACEMENT, order_id, Retry),
        (actions.RESTOCK, order_id, Restock),
        (actions.MAP_SKU_START, "SKU-1", Map),
        (actions.MARK_HANDLED, f"delivery_failed:{order_id}", MarkHandled),
    ]
    assert {kind for _, _, kind in clicks} == set(policy.ADMIN_ONLY)  # every admin-only command
    for action_id, value, kind in clicks:
        click(slack, slack_api, action_id, value, user=GUEST, key=action_id, is_ephemeral=False)
        (reply,) = responses(slack_api, action_id)
        assert reply["response_type"] == "ephemeral"
        assert reply["text"] == policy.refusal(kind, NON_ADMIN).text
        assert reply["replace_original"] is False
    assert spy.commands() == []
    assert slack_api.calls("views.open") == []
    assert world.shops.tiktok.order(order_id)["status"] == "AWAITING_SHIPMENT"


def test_cancel_from_a_button_opens_the_form_and_its_submission_cancels(
    slack, slack_api, world, spy
):
    order_id = world.take("awaiting-shipment")
    click(slack, slack_api, actions.CANCEL_START, order_id)
    slack_api.wait_for(lambda: slack_api.calls("views.open"))
    (view,) = slack_api.views()
    assert view["callback_id"] == actions.CANCEL_FORM and view["private_metadata"] == order_id
    reason = next(b for b in view["blocks"] if b["type"] == "input")["element"]["options"][0]

    answer = slack.post(view_submission(view, {"reason": reason["value"]}, user=ADMIN))
    assert answer.status == 200 and answer.seconds < 2.0
    ack = answer.json()
    assert ack["response_action"] == "update"
    assert "Cancelling order" in str(ack["view"]["blocks"])
    (update,) = slack_api.wait_for(lambda: slack_api.calls("views.update"))
    assert update.body["view_id"] == view["id"]
    assert f"Order {order_id} cancelled" in str(update.body["view"]["blocks"])
    assert world.shops.tiktok.order(order_id)["status"] == "CANCELLED"
    command, ctx = spy.executed[-1]
    assert command == Cancel(order_id, reason["value"])
    assert ctx.confirmed


def test_a_form_without_a_reason_is_sent_back_with_an_error(slack, slack_api, world, spy):
    order_id = world.take("awaiting-shipment")
    view = open_cancel_form(slack, slack_api, order_id)
    answer = slack.post(view_submission(view, {}, user=ADMIN))
    assert answer.json() == {"response_action": "errors", "errors": {"reason": "Choose a reason."}}
    assert [type(c) for c in spy.commands()] == [Cancel]  # only the form's own request
    assert world.shops.tiktok.order(order_id)["status"] == "AWAITING_SHIPMENT"


def test_a_forged_submission_from_a_non_admin_is_refused(slack, slack_api, world, spy):
    order_id = world.take("awaiting-shipment")
    view = open_cancel_form(slack, slack_api, order_id)
    spy.reset()
    answer = slack.post(
        view_submission(view, {"reason": "seller_cancel_reason_out_of_stock"}, user=GUEST)
    )
    ack = answer.json()
    assert ack["response_action"] == "update"
    assert policy.refusal(Cancel, NON_ADMIN).text in str(ack["view"]["blocks"])
    slack.post(slash_command("help", user=ADMIN, response_url=slack_api.response_url("h")))
    responses(slack_api, "h")
    assert all(not isinstance(c, Cancel) for c in spy.commands())
    assert world.shops.tiktok.order(order_id)["status"] == "AWAITING_SHIPMENT"


def test_map_sku_button_opens_a_filled_form_and_submitting_maps(slack, slack_api, spy):
    click(slack, slack_api, actions.MAP_SKU_START, "TT-UNKNOWN-1")
    slack_api.wait_for(lambda: slack_api.calls("views.open"))
    (view,) = slack_api.views()
    assert view["callback_id"] == actions.MAP_SKU_FORM
    prefilled = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"][1:]}
    assert prefilled == {"tiktok_sku": "TT-UNKNOWN-1", "etsy_sku": None}

    missing = slack.post(view_submission(view, {"tiktok_sku": "TT-UNKNOWN-1"}, user=ADMIN))
    assert missing.json() == {
        "response_action": "errors",
        "errors": {"etsy_sku": "Enter the Etsy SKU."},
    }
    values = {"tiktok_sku": "TT-UNKNOWN-1", "etsy_sku": "ETSY-1"}
    answer = slack.post(view_submission(view, values, user=ADMIN))
    assert answer.json()["response_action"] == "update"
    (update,) = slack_api.wait_for(lambda: slack_api.calls("views.update"))
    assert "Mapped TikTok SKU TT-UNKNOWN-1 → Etsy SKU ETSY-1" in str(update.body["view"])
    assert spy.commands() == [Map("TT-UNKNOWN-1"), Map("TT-UNKNOWN-1", "ETSY-1")]


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
    click(slack, slack_api, actions.MAP_SKU_START, "TT-UNKNOWN-2")
    slack_api.wait_for(lambda: slack_api.calls("views.open"))
    (view,) = slack_api.views()
    values = {"tiktok_sku": "TT-UNKNOWN-2", "etsy_sku": etsy_sku}
    answer = slack.post(view_submission(view, values, user=ADMIN)).json()
    assert answer["response_action"] == "errors" and list(answer["errors"]) == ["etsy_sku"]
    assert error in answer["errors"]["etsy_sku"]
    slack.post(slash_command("help", user=ADMIN, response_url=slack_api.response_url("h")))
    responses(slack_api, "h")  # the lazy half of the submission would have run by now
    assert spy.commands() == [Map("TT-UNKNOWN-2"), Help()]
    assert slack_api.calls("views.update") == []


def test_retry_on_a_failed_order_answers_the_clicker(slack, slack_api, world, spy):
    order_id = world.take("failed")
    click(slack, slack_api, actions.RETRY_PLACEMENT, order_id, is_ephemeral=False)
    (reply,) = responses(slack_api)
    assert order_id in reply["text"]
    assert spy.commands() == [Retry(order_id)]


def test_app_home_shows_the_dashboard(slack, slack_api):
    answer = slack.post(app_home_opened(ADMIN))
    assert answer.status == 200
    home = slack_api.wait_for(lambda: slack_api.home(ADMIN))
    assert home["type"] == "home"
    assert home["blocks"][0]["text"]["text"] == "Orders per section"
    buttons = [e for b in home["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons[0]["action_id"] == actions.FETCH_NOW


def test_paging_from_app_home_opens_a_modal_and_pages_inside_it(slack, slack_api, spy):
    click(slack, slack_api, actions.PAGE, "all|1", surface="home")
    slack_api.wait_for(lambda: slack_api.calls("views.open"))
    (modal,) = slack_api.views()
    assert "table" not in [b["type"] for b in modal["blocks"]]  # a section per order instead
    assert any(b.get("accessory", {}).get("type") == "overflow" for b in modal["blocks"])
    click(slack, slack_api, actions.PAGE, "all|1", surface="modal", view=modal)
    (update,) = slack_api.wait_for(lambda: slack_api.calls("views.update"))
    assert update.body["view_id"] == modal["id"]


def test_fetch_now_from_app_home_reports_in_the_dm_and_refreshes_home(slack, slack_api, spy):
    click(slack, slack_api, actions.FETCH_NOW, "fetch", surface="home")
    slack_api.wait_for(lambda: slack_api.calls("views.publish"))
    dm = f"D{ADMIN[1:]}"
    (message,) = slack_api.messages(dm)
    assert message.text.startswith("Fetch finished")
    assert spy.commands() == [Fetch()]
    assert slack_api.messages(CHANNEL) == []
