"""/orders (bot/listeners/commands/) over signed HTTP to the served app: acked before the
command runs, answered in place, with the real core on the marketplace sandboxes behind it."""

import pytest

from bot.core import CoreCalls, load_core
from bot.errors import ERROR_TEXT
from commands import actions, policy
from commands.context import Actor
from commands.types import Cancel, Due, Fetch, Help, Map, Retry, Ship, Status
from tests.utils.core_spy import CoreSpy
from tests.utils.ids import CHANNEL, GUEST, SHIPPER
from tests.utils.slack_flows import command, responses


def test_help_is_answered_privately(slack, slack_api, spy):
    command(slack, slack_api, spy, "help")
    (reply,) = responses(slack_api)
    assert reply["response_type"] == "ephemeral"
    assert reply["blocks"][0]["type"] == "header"
    assert "status" in str(reply["blocks"])
    assert spy.commands()[0].__class__.__name__ == "Help"


def test_status_shows_counts_and_a_section_per_order_with_its_menu(slack, slack_api, spy, world):
    command(slack, slack_api, spy, "status all")
    (reply,) = responses(slack_api)
    rows = [b for b in reply["blocks"] if b.get("accessory", {}).get("type") == "overflow"]
    assert len(world.shops.tiktok.orders()) > 20
    assert len(rows) == 20  # a page of orders, each a section with its overflow menu
    text = rows[0]["text"]["text"]
    for column in ("Fulfilled By", "Line Items", "Created At", "Price", "Order Status"):
        assert f"*{column}:*" in text
    menu = rows[0]["accessory"]
    assert menu["action_id"] == actions.ROW_MENU
    assert [o["text"]["text"] for o in menu["options"]][0] == "View"
    (paging,) = [b for b in reply["blocks"] if b["type"] == "actions"]
    assert [(e["action_id"], e["value"]) for e in paging["elements"]] == [(actions.PAGE, "all|2")]
    assert spy.commands() == [Status(None, 1)]


def test_unknown_input_gets_a_clear_private_answer(slack, slack_api, spy):
    command(slack, slack_api, spy, "status <!channel>-nonsense")
    (reply,) = responses(slack_api)
    assert reply["response_type"] == "ephemeral"
    assert "<!channel>" not in reply["text"]
    assert "&lt;!channel&gt;" in reply["text"]


def test_show_lists_the_order_with_its_buttons(slack, slack_api, spy, world):
    order_id = world.new_order()
    command(slack, slack_api, spy, f"show {order_id}")
    (reply,) = responses(slack_api)
    assert reply["blocks"][0]["text"]["text"] == f"Order {order_id}"
    buttons = [e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert {"action_id": actions.SHIP_START, "value": order_id}.items() <= buttons[0].items()
    assert {"action_id": actions.CANCEL_START, "value": order_id}.items() <= buttons[1].items()


@pytest.mark.parametrize(
    "text",
    ["cancel {order}", "cancel {order} out of stock", "map A B", "retry {order}"],
    ids=["cancel-form", "cancel-reason", "map", "retry"],
)
def test_a_non_admin_is_refused_in_the_ack_and_nothing_runs(slack, slack_api, spy, world, text):
    order_id = world.new_order()
    answer = command(slack, slack_api, spy, text.format(order=order_id), user=GUEST)
    ack = answer.json()
    assert ack["response_type"] == "ephemeral"
    refusal = policy.refusal(
        {"cancel": Cancel, "map": Map, "retry": Retry}[text.split()[0]],
        Actor(GUEST, is_admin=False),
    )
    assert ack["text"] == refusal.text
    # The lazy half sees the refusal too: nothing reaches the core, Slack or TikTok.
    command(slack, slack_api, spy, "help", key="after")
    responses(slack_api, "after")
    assert spy.commands() == [Help()]  # only the later help ran
    assert slack_api.responses("r1") == [] and slack_api.calls("views.open") == []
    assert world.shops.tiktok.order(order_id)["status"] != "CANCELLED"


def test_cancel_without_a_reason_opens_the_reason_form(slack, slack_api, spy, world):
    order_id = world.new_order()
    command(slack, slack_api, spy, f"cancel {order_id}")
    (opened,) = slack_api.wait_for(lambda: slack_api.calls("views.open"))
    view = opened.body["view"]
    assert view["callback_id"] == actions.CANCEL_FORM
    assert view["private_metadata"] == order_id
    select = next(b for b in view["blocks"] if b["type"] == "input")
    assert select["element"]["type"] == "static_select" and select["element"]["options"]
    assert slack_api.responses("r1") == []


def test_cancel_with_a_reason_asks_for_confirmation(slack, slack_api, spy, world):
    order_id = world.new_order()
    command(slack, slack_api, spy, f"cancel {order_id} out of stock")
    (reply,) = responses(slack_api)
    button = reply["blocks"][-1]["elements"][0]
    assert button["action_id"] == actions.CANCEL_CONFIRM
    assert button["value"].startswith(f"{order_id}|") and button["style"] == "danger"
    assert "confirm" in button
    assert world.shops.tiktok.order(order_id)["status"] != "CANCELLED"


def test_fetch_is_acked_then_reported_in_one_message_edited_in_place(slack, slack_api, spy):
    answer = command(slack, slack_api, spy, "fetch")
    assert answer.json()["text"].startswith("Fetching")
    final = slack_api.wait_for(
        lambda: [m for m in slack_api.messages(CHANNEL) if m.text.startswith("Fetch finished")]
    )
    assert len(slack_api.messages(CHANNEL)) == 1  # progress and summary share one message
    assert final[0].blocks[0]["text"]["text"] == "Fetch finished"
    assert spy.commands() == [Fetch()]
    assert spy.executed[0][1].progress is not None


def test_fetch_where_the_bot_may_not_post_answers_privately(slack, slack_api, spy):
    slack_api.refuse_channel("C0PRIVATE")
    command(slack, slack_api, spy, "fetch", channel="C0PRIVATE")
    final = slack_api.wait_for(
        lambda: [r for r in slack_api.responses("r1") if r["text"].startswith("Fetch finished")]
    )
    assert final[0]["response_type"] == "ephemeral"
    refused = [c for c in slack_api.calls("chat.postMessage") if not c.ok]
    assert refused and refused[0].error == "not_in_channel"
    slack_api.reset()  # the refusal was the point of this test


def test_an_error_in_the_core_is_answered_with_a_plain_sentence(slack_api, serve_with):
    real = load_core()

    def broken(command, ctx):
        raise RuntimeError(f"boom with {slack_api.bot_token} inside")

    held = CoreSpy(CoreCalls(parse=real.parse, execute=broken, home=real.home))
    slack = serve_with(held.core)
    command(slack, slack_api, held, "status all", key="broken")
    (reply,) = responses(slack_api, "broken")
    assert reply["text"] == ERROR_TEXT and reply["response_type"] == "ephemeral"
    assert slack_api.bot_token not in str(reply) and "Traceback" not in str(reply)


def test_the_text_is_parsed_once_for_the_ack_and_the_lazy_half(slack_api, serve_with):
    real = load_core()
    parsed = []

    def parse(text):
        parsed.append(text)
        return real.parse(text)

    held = CoreSpy(CoreCalls(parse=parse, execute=real.execute, home=real.home))
    slack = serve_with(held.core)
    command(slack, slack_api, held, "status failed", key="once")
    (reply,) = responses(slack_api, "once")
    assert "Failed" in reply["text"]
    assert parsed == ["status failed"]


# --- ship and due (SPEC §4.1) -----------------------------------------------------------------


def test_a_shipper_ships_by_command_and_a_second_send_ships_nothing(slack, slack_api, spy, world):
    order_id = world.new_order()
    number = "9400111899223456789041"
    command(slack, slack_api, spy, f"ship {order_id} usps {number}", user=SHIPPER)
    (reply,) = responses(slack_api)
    assert reply["response_type"] == "in_channel"
    assert f"Order {order_id} shipped with USPS {number}" in reply["text"]
    assert world.shops.tiktok.order(order_id)["status"] == "AWAITING_COLLECTION"
    assert world.services.engine.order(order_id).section == "awaiting-collection"

    world.shops.tiktok.reset_calls()
    command(slack, slack_api, spy, f"ship {order_id} USPS {number}", user=SHIPPER, key="again")
    (again,) = responses(slack_api, "again")
    assert again["response_type"] == "ephemeral" and "already shipped" in again["text"]
    assert [c for c in world.shops.tiktok.calls if c.method == "POST"] == []


@pytest.mark.parametrize(
    "text, answer",
    [
        ("ship {order} pigeon 9400111899223456789042", "is none of TikTok's carriers"),
        ("ship {order} u 9400111899223456789042", "fits several of TikTok's carriers"),
        ("ship {order} usps " + "9" * 41, "41 characters long"),
        ("ship {order} usps", "needs the carrier and the tracking number"),
        ("ship 576469999999999999 usps 9400111899223456789042", "No order 576469999999999999"),
    ],
    ids=["unknown-carrier", "ambiguous-carrier", "too-long", "no-tracking", "unknown-order"],
)
def test_bad_ship_input_gets_a_clear_answer_and_sends_nothing(
    slack, slack_api, spy, world, text, answer
):
    order_id = world.new_order()
    world.shops.tiktok.reset_calls()
    command(slack, slack_api, spy, text.format(order=order_id), user=SHIPPER)
    (reply,) = responses(slack_api)
    assert reply["response_type"] == "ephemeral" and answer in reply["text"]
    assert [c for c in world.shops.tiktok.calls if c.method == "POST"] == []
    assert world.shops.tiktok.order(order_id)["status"] == "AWAITING_SHIPMENT"


def test_a_guest_may_not_ship(slack, slack_api, spy, world):
    order_id = world.new_order()
    ack = command(
        slack, slack_api, spy, f"ship {order_id} usps 9400111899223456789043", user=GUEST
    ).json()
    assert ack["text"] == policy.refusal(Ship, Actor(GUEST, is_admin=False)).text
    assert world.shops.tiktok.order(order_id)["status"] == "AWAITING_SHIPMENT"


def test_due_lists_orders_to_ship_soonest_first(slack, slack_api, spy, world):
    command(slack, slack_api, spy, "due", user=GUEST)
    (reply,) = responses(slack_api)
    assert "Orders to ship" in reply["text"] and "overdue" in reply["text"]
    text = str(reply["blocks"])
    assert "Ship By" in text and "TikTok Cancels At" in text
    assert spy.commands() == [Due()]
