"""`/orders returns`, `/orders return approve|reject` and the request facts `/orders show` and
the status grid give, against the real core on the sandbox marketplaces."""

import time

from commands import actions
from commands.context import Actor, Context
from commands.execute import execute
from commands.home import home
from commands.interactions import command_for
from commands.parse import parse
from commands.replies import Actions, KeyValues, SelectField, Table
from commands.types import ReturnApprove, ReturnReject, Returns, Show, Status
from sync.sections import Section
from tests.utils import ids
from tests.utils.catalog import unique_skus

ADMIN = Actor(ids.ADMIN, is_admin=True)
GUEST = Actor(ids.GUEST, is_admin=False)


def run(core, command, actor=ADMIN, *, confirmed=False):
    return execute(command, Context(core.services, actor, confirmed=confirmed))


def buttons_of(reply) -> list:
    return [b for block in reply.blocks if isinstance(block, Actions) for b in block.buttons]


def tables(reply) -> list[Table]:
    return [block for block in reply.blocks if isinstance(block, Table)]


def open_request(core, shops, kind: str = "REFUND") -> tuple[str, str]:
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku], status="IN_TRANSIT")["id"]
    shops.tiktok.deliver(order_id, int(time.time()) - 60)
    core.services.engine.fetch()
    request_id = shops.tiktok.open_return(order_id, kind)["return_id"]
    core.services.engine.fetch()
    return order_id, request_id


def test_returns_lists_open_requests_soonest_deadline_first(core, shops):
    _, replacement = open_request(core, shops, "REPLACEMENT")  # 24 h to answer
    _, refund = open_request(core, shops, "REFUND")  # 48 h

    reply = run(core, Returns(), GUEST)

    assert reply.ok and reply.text.startswith("Open requests: 2")
    (table,) = tables(reply)
    assert [row[0] for row in table.rows] == [replacement, refund]
    assert [row[2] for row in table.rows] == ["Replacement", "Refund"]
    assert all("left" in row[5] for row in table.rows)


def test_no_open_requests_says_so(core):
    reply = run(core, Returns())
    assert reply.ok and reply.text == "No open return, refund or cancellation requests."


def test_approve_asks_first_then_answers_once(core, shops):
    order_id, request_id = open_request(core, shops)

    asked = run(core, ReturnApprove(request_id))
    (button,) = buttons_of(asked)
    assert (button.action_id, button.value) == (actions.RETURN_APPROVE, request_id)
    assert shops.tiktok.returns()[-1]["return_status"] == "RETURN_OR_REFUND_REQUEST_PENDING"

    done = run(core, ReturnApprove(request_id), confirmed=True)
    again = run(core, ReturnApprove(request_id), confirmed=True)

    assert done.ok and done.public and "Approved refund request" in done.text
    assert not again.ok and "not waiting for your answer" in again.text
    show = run(core, Show(order_id))
    assert "Refunded" in str(show.blocks) and request_id in str(show.blocks)


def test_reject_without_a_reason_offers_tiktoks_reasons_in_a_select(core, shops):
    _, request_id = open_request(core, shops, "RETURN_AND_REFUND")

    reply = run(core, ReturnReject(request_id))

    assert reply.form is not None and reply.form.callback_id == actions.RETURN_REJECT_FORM
    assert reply.form.private_metadata == request_id
    (select,) = [f for f in reply.form.fields if isinstance(f, SelectField)]
    assert ("seller_reject_apply_item_is_correct", "Item is correct") in select.options


def test_a_reason_not_tiktoks_gets_the_list_and_sends_nothing(core, shops):
    _, request_id = open_request(core, shops, "RETURN_AND_REFUND")
    shops.tiktok.reset_calls()

    reply = run(core, parse(f"return reject {request_id} because I said so"))

    assert not reply.ok and "Item is correct" in reply.text and "Nothing was sent" in reply.text
    assert not [c for c in shops.tiktok.calls if c.path.endswith("/reject")]
    done = run(core, parse(f"return reject {request_id} item is correct"))
    assert done.ok and "Rejected" in done.text


def test_unknown_request_ids_get_a_clear_answer(core):
    reply = run(core, parse("return approve 4035560000000009999"), confirmed=True)
    assert not reply.ok and "No return, refund or cancellation request 4035560000000009999" in (
        reply.text
    )


def test_the_order_shows_its_request_next_to_its_section(core, shops):
    order_id, request_id = open_request(core, shops)

    grid = run(core, Status(Section.DELIVERED))
    show = run(core, Show(order_id))

    row = next(r for t in tables(grid) for r in t.rows if r[0] == order_id)
    assert "Delivered · Return requested" in row
    facts = [kv for block in show.blocks if isinstance(block, KeyValues) for kv in block.items]
    assert ("TikTok status", "Delivered · Return requested") in facts
    assert ("Request", f"Refund {request_id}") in facts
    assert {b.action_id for b in buttons_of(show)} >= {
        actions.RETURN_APPROVE,
        actions.RETURN_REJECT_START,
    }
    history = str(show.blocks)
    assert f"Refund request {request_id}: waiting for your answer" in history


def test_app_home_opens_the_open_requests(core, shops):
    open_request(core, shops)

    reply = home(Context(core.services, GUEST))

    (button,) = [b for b in buttons_of(reply) if b.action_id == actions.RETURNS_PAGE]
    assert button.label == "Open requests (1)"
    assert command_for(button.action_id, button.value) == Returns(1)


def test_without_reasons_from_tiktok_there_is_no_form_to_open(core, shops, monkeypatch):
    _, request_id = open_request(core, shops)
    row = core.services.engine.request(request_id)
    monkeypatch.setattr(core.services.engine, "reject_reasons", lambda _id: (row, []))

    reply = run(core, ReturnReject(request_id))

    assert not reply.ok and reply.form is None and "Nothing was sent" in reply.text
