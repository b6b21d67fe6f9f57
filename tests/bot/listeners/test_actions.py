"""Buttons (bot/listeners/actions/) over signed HTTP to the served app, with the real core
behind it: on messages in a channel or ephemeral, on App Home and in modals."""

from commands import actions, policy
from commands.context import Actor
from commands.types import (
    Cancel,
    Fetch,
    Map,
    MarkHandled,
    Restock,
    Retry,
    RetryAll,
    ReturnApprove,
    ReturnReject,
    ReturnRestock,
    Ship,
    Show,
    Status,
    Unmap,
)
from tests.utils.ids import ADMIN, CHANNEL, GUEST
from tests.utils.slack_flows import click, responses

NON_ADMIN = Actor(GUEST, is_admin=False)


def test_view_order_answers_privately_beside_the_alert(slack, slack_api, world, spy):
    order_id = world.new_order()
    click(slack, slack_api, spy, actions.VIEW_ORDER, order_id, is_ephemeral=False)
    (reply,) = responses(slack_api)
    assert reply["replace_original"] is False and reply["response_type"] == "ephemeral"
    assert reply["blocks"][0]["text"]["text"] == f"Order {order_id}"
    types = [b["type"] for b in reply["blocks"]]
    assert types.count("table") == 1  # the second grid (history) is monospace text
    assert spy.commands() == [Show(order_id)]


def test_paging_replaces_the_users_own_grid(slack, slack_api, spy):
    click(slack, slack_api, spy, actions.PAGE, "all|2", is_ephemeral=True)
    (reply,) = responses(slack_api)
    assert reply["replace_original"] is True
    assert any(b.get("accessory", {}).get("type") == "overflow" for b in reply["blocks"])
    (paging,) = [b for b in reply["blocks"] if b["type"] == "actions"]
    assert paging["elements"][0]["value"] == "all|1"  # Previous
    assert spy.commands() == [Status(None, 2)]


def test_paging_from_a_channel_message_leaves_it_alone(slack, slack_api, spy):
    click(slack, slack_api, spy, actions.PAGE, "failed|1", is_ephemeral=False)
    (reply,) = responses(slack_api)
    assert reply["replace_original"] is False and reply["response_type"] == "ephemeral"


def test_a_malformed_button_value_gets_a_clear_answer(slack, slack_api, spy):
    click(slack, slack_api, spy, actions.PAGE, "no-page-here")
    (reply,) = responses(slack_api)
    assert "no longer works" in reply["text"]
    assert spy.commands() == []


def test_confirming_a_cancellation_cancels_once_and_tells_the_channel(slack, slack_api, spy, world):
    order_id = world.new_order()
    value = f"{order_id}|seller_cancel_reason_out_of_stock"
    click(slack, slack_api, spy, actions.CANCEL_CONFIRM, value, is_ephemeral=True)
    gone, outcome = responses(slack_api, count=2)
    assert gone == {"text": "", "delete_original": True}
    assert outcome["response_type"] == "in_channel"
    assert f"Order {order_id} cancelled" in outcome["text"]
    assert world.shops.tiktok.order(order_id)["status"] == "CANCELLED"
    # A second click on the same prompt changes nothing on TikTok.
    click(slack, slack_api, spy, actions.CANCEL_CONFIRM, value, is_ephemeral=True, key="r2")
    (again,) = responses(slack_api, "r2")
    assert again["response_type"] == "ephemeral"
    cancels = [c for c in world.shops.tiktok.cancellations() if c["order_id"] == order_id]
    assert len(cancels) == 1


def test_a_non_admin_click_is_refused_privately_and_changes_nothing(slack, slack_api, world, spy):
    order_id = world.new_order()
    clicks = [
        (actions.CANCEL_START, order_id, Cancel),
        (actions.CANCEL_CONFIRM, f"{order_id}|seller_cancel_reason_out_of_stock", Cancel),
        (actions.RETRY_PLACEMENT, order_id, Retry),
        (actions.RESTOCK, order_id, Restock),
        (actions.MAP_SKU_START, "SKU-1", Map),
        (actions.MARK_HANDLED, f"delivery_failed:{order_id}", MarkHandled),
        (actions.RETRY_ALL, f"placement_failures:{order_id}", RetryAll),
        (actions.RETURN_APPROVE, "4035560000000000001", ReturnApprove),
        (actions.RETURN_REJECT_START, "4035560000000000001", ReturnReject),
        (actions.RETURN_RESTOCK, "4035560000000000001", ReturnRestock),
        (actions.SHIP_START, order_id, Ship),
    ]
    # every admin-only command that has a button (unmap is typed only), and Ship…
    assert {kind for _, _, kind in clicks} == (
        set(policy.ADMIN_ONLY) | set(policy.SHIPPERS_TOO)
    ) - {Unmap}
    for action_id, value, kind in clicks:
        click(
            slack, slack_api, spy, action_id, value, user=GUEST, key=action_id, is_ephemeral=False
        )
        (reply,) = responses(slack_api, action_id)
        assert reply["response_type"] == "ephemeral"
        assert reply["text"] == policy.refusal(kind, NON_ADMIN).text
        assert reply["replace_original"] is False
    assert spy.commands() == []
    assert slack_api.calls("views.open") == []
    assert world.shops.tiktok.order(order_id)["status"] == "AWAITING_SHIPMENT"


def test_retry_on_a_failed_order_answers_the_clicker(slack, slack_api, world, spy):
    order_id = world.new_order("failed")
    click(slack, slack_api, spy, actions.RETRY_PLACEMENT, order_id, is_ephemeral=False)
    (reply,) = responses(slack_api)
    assert order_id in reply["text"]
    assert spy.commands() == [Retry(order_id)]


def test_paging_from_app_home_opens_a_modal_and_pages_inside_it(slack, slack_api, spy):
    click(slack, slack_api, spy, actions.PAGE, "all|1", surface="home")
    slack_api.wait_for(lambda: slack_api.calls("views.open"))
    (modal,) = slack_api.views()
    assert "table" not in [b["type"] for b in modal["blocks"]]  # a section per order instead
    assert any(b.get("accessory", {}).get("type") == "overflow" for b in modal["blocks"])
    click(slack, slack_api, spy, actions.PAGE, "all|1", surface="modal", view=modal)
    (update,) = slack_api.wait_for(lambda: slack_api.calls("views.update"))
    assert update.body["view_id"] == modal["id"]


def test_fetch_now_from_app_home_reports_in_the_dm_and_refreshes_home(slack, slack_api, spy):
    click(slack, slack_api, spy, actions.FETCH_NOW, "fetch", surface="home")
    slack_api.wait_for(lambda: slack_api.calls("views.publish"))
    dm = f"D{ADMIN[1:]}"
    (message,) = slack_api.messages(dm)
    assert message.text.startswith("Fetch finished")
    assert spy.commands() == [Fetch()]
    assert slack_api.messages(CHANNEL) == []
