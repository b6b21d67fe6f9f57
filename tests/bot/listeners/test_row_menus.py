"""Grid rows in Slack: a section per order with its overflow menu, within Slack's limits, and a
menu choice runs what the button it stands for runs (admins only where that one is)."""

from slack_sdk.models.blocks import Block

from bot import render
from commands import actions
from commands.replies import Button, Entry, History, Reply, Table
from commands.types import Cancel, Show
from sandbox.slack import MESSAGE_BLOCKS, check_blocks
from tests.utils.ids import ADMIN, GUEST
from tests.utils.slack_requests import block_action


def menu(order_id: str) -> tuple[Button, ...]:
    return tuple(
        Button(label, actions.ROW_MENU, actions.menu_value(action, order_id))
        for label, action in (("View", actions.VIEW_ORDER), ("Cancel…", actions.CANCEL_START))
    )


def test_a_full_page_of_rows_is_one_section_each_with_its_menu_and_valid():
    ids = [f"5764600000000{i:05d}" for i in range(20)]
    rows = tuple(
        (
            i,
            "Seller",
            "MUG-1 ×1 → listing 7",
            "2026-05-04 11:00 UTC",
            "1.00 USD",
            "Awaiting Shipment",
        )
        for i in ids
    )
    grid = Table(
        ("TTS order ID", "Fulfilled By", "Line Items", "Created At", "Price", "Order Status"),
        rows,
        menus=tuple(menu(i) for i in ids),
    )

    message = render.message(Reply("Grid", blocks=(grid,)))

    blocks = message["blocks"]
    assert check_blocks(blocks, limit=MESSAGE_BLOCKS, surface="message") == []
    for block in blocks:
        Block.parse(block).to_dict()  # slack_sdk's models take every block
    sections = [b for b in blocks if b["type"] == "section"]
    assert len(sections) == 20 and len(blocks) <= MESSAGE_BLOCKS
    assert [s["text"]["text"].split("*")[1] for s in sections] == ids  # each starts with its id
    first = sections[0]
    assert "*Line Items:* MUG-1 ×1 → listing 7" in first["text"]["text"]
    overflow = first["accessory"]
    assert overflow["type"] == "overflow" and overflow["action_id"] == actions.ROW_MENU
    assert [o["value"] for o in overflow["options"]] == [
        f"{actions.VIEW_ORDER}|{ids[0]}",
        f"{actions.CANCEL_START}|{ids[0]}",
    ]
    assert len({s["accessory"]["action_id"] for s in sections}) == 20  # unique per message


def test_history_lines_are_whole_and_name_slack_users_with_a_mention():
    detail = "Stock given back: " + ", ".join(
        f"SKU-{n} ×1 on listing 15000000{n:02d}" for n in range(6)
    )
    history = History(
        (
            Entry("2026-05-04 11:00 UTC", "U0ADMIN", "Cancelled by you: Out of stock"),
            Entry("2026-05-04 11:00 UTC", "orderbot", detail),
        )
    )

    (section,) = render.message(Reply("Order", blocks=(history,)))["blocks"]

    text = section["text"]["text"]
    assert "<@U0ADMIN> — Cancelled by you: Out of stock" in text
    assert detail in text  # not cut to a column's width
    assert "```" not in text


def choose(slack, slack_api, value: str, *, user: str):
    payload = block_action(
        actions.ROW_MENU, value, user=user, response_url=slack_api.response_url("m")
    )
    action = payload["actions"][0]
    action.pop("value")
    action.update(
        type="overflow",
        selected_option={"text": {"type": "plain_text", "text": "View"}, "value": value},
    )
    answer = slack.post(payload)
    assert answer.status == 200, answer.body


def test_choosing_view_in_a_row_menu_shows_the_order(slack, slack_api, spy, world):
    order_id = world.new_order("awaiting-shipment")
    choose(slack, slack_api, actions.menu_value(actions.VIEW_ORDER, order_id), user=GUEST)
    (reply,) = slack_api.wait_for(lambda: slack_api.responses("m"))
    assert reply["blocks"][0]["text"]["text"] == f"Order {order_id}"
    assert spy.commands() == [Show(order_id)]


def test_choosing_cancel_is_for_admins_only(slack, slack_api, spy, world):
    order_id = world.new_order("awaiting-shipment")
    choose(slack, slack_api, actions.menu_value(actions.CANCEL_START, order_id), user=GUEST)
    (refusal,) = slack_api.wait_for(lambda: slack_api.responses("m"))
    assert "Only orderbot admins can cancel orders" in refusal["text"]
    assert spy.commands() == []
    choose(slack, slack_api, actions.menu_value(actions.CANCEL_START, order_id), user=ADMIN)
    slack_api.wait_for(lambda: slack_api.calls("views.open"))  # the reason form opens
    assert spy.commands() == [Cancel(order_id)]
