"""Every command's reply on the demo's data is Block Kit Slack takes (slack_sdk's models and the
sandbox's checks of Slack's limits), as a message, in a modal and as a form."""

from slack_sdk.models.blocks import Block

from bot import render
from commands.context import Actor, Context
from commands.execute import execute
from commands.home import home
from commands.parse import parse
from sandbox.slack import MESSAGE_BLOCKS, check_blocks, check_view

ADMIN = Actor("U0ADMIN", is_admin=True)


def test_every_reply_renders_to_valid_block_kit(core, shops):
    later = shops.seed_demo(30)
    engine = core.services.engine
    ctx = Context(core.services, ADMIN)
    fetched = execute(parse("fetch"), ctx)
    shops.play_later(later)
    engine.refresh_orders(list(later))
    ids = [order["id"] for order in shops.tiktok.orders()]
    texts = ["help", "status", "status all 2", "status failed 9", "status all 2 3", "frobnicate"]
    texts += [f"status {slug}" for slug in ("on-hold", "in-transit", "cancelled", "failed")]
    texts += [f"show {order_id}" for order_id in ids]
    replies = [fetched, home(ctx), *(execute(parse(text), ctx) for text in texts)]
    waiting = next(o["id"] for o in shops.tiktok.orders() if o["status"] == "AWAITING_SHIPMENT")
    replies.append(execute(parse(f"cancel {waiting} out of stock"), ctx))  # the confirmation
    forms = [execute(parse(f"cancel {waiting}"), ctx).form]

    for reply in replies:
        message = render.message(reply)
        assert check_blocks(message["blocks"], limit=MESSAGE_BLOCKS, surface="message") == []
        for block in message["blocks"]:
            Block.parse(block).to_dict()
        assert check_view(render.reply_modal(reply)) == []
    for form in forms:
        assert check_view(render.form_modal(form)) == []
