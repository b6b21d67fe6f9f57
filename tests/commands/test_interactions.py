"""Every button and form of our replies, read back as the command it stands for."""

import pytest

from commands import actions
from commands.context import Actor, Context
from commands.execute import execute
from commands.home import home
from commands.interactions import FieldErrors, command_for, command_for_form
from commands.replies import Actions, SelectField
from commands.types import (
    Cancel,
    Due,
    Fetch,
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
    ViewAllFailed,
    ViewAllNew,
)
from sync.sections import Section

OID = "576461413038785752"
REASON = "seller_cancel_reason_out_of_stock"
FORMS = {actions.CANCEL_FORM, actions.MAP_SKU_FORM, actions.RETURN_REJECT_FORM, actions.SHIP_FORM}
RID = "4035560000000000001"
CARRIER, TRACKING = actions.SHIP_CARRIER_FIELD, actions.SHIP_TRACKING_FIELD
SHIP_FIELDS = {actions.SHIP_CARRIER_FIELD, actions.SHIP_TRACKING_FIELD, actions.SHIP_ITEMS_FIELD}
SEARCHES = {actions.ETSY_SKU_FIELD}  # fields whose options the app serves (commands.mappings)

# (button id, the value our replies give it, the command it must run)
BUTTONS = [
    (actions.VIEW_ORDER, OID, Show(OID)),
    (actions.CANCEL_START, OID, Cancel(OID)),
    (actions.CANCEL_CONFIRM, f"{OID}|{REASON}", Cancel(OID, REASON)),
    (actions.RETRY_PLACEMENT, OID, Retry(OID)),
    (actions.RESTOCK, OID, Restock(OID)),
    (actions.MAP_SKU_START, "TT-MUG-RED", Map("TT-MUG-RED")),
    (actions.MARK_HANDLED, f"delivery_failed:{OID}", MarkHandled(f"delivery_failed:{OID}")),
    (actions.PAGE, "awaiting-shipment|3", Status(Section.AWAITING_SHIPMENT, 3)),
    (actions.PAGE, "all|2", Status(None, 2)),
    (actions.VIEW_ALL_NEW, "new_orders:7", ViewAllNew("new_orders:7")),
    (actions.RETRY_ALL, "placement_failures:7", RetryAll("placement_failures:7")),
    (actions.VIEW_ALL_FAILED, "placement_failures:7", ViewAllFailed("placement_failures:7")),
    (actions.FETCH_NOW, "fetch", Fetch()),
    (actions.MAPPINGS_PAGE, "2", Mappings(2)),
    (actions.ROW_MENU, f"{actions.VIEW_ORDER}|{OID}", Show(OID)),
    (actions.RETURN_APPROVE, RID, ReturnApprove(RID)),
    (actions.RETURN_REJECT_START, RID, ReturnReject(RID)),
    (actions.RETURN_RESTOCK, RID, ReturnRestock(RID)),
    (actions.RETURNS_PAGE, "2", Returns(2)),
    (actions.SHIP_START, OID, Ship(OID)),
    (actions.ROW_MENU, f"{actions.SHIP_START}|{OID}", Ship(OID)),
    (actions.DUE_PAGE, "2", Due(2)),
]


def ids_in_actions() -> set[str]:
    return {value for name, value in vars(actions).items() if name.isupper()}


def test_every_id_in_commands_actions_is_read_here():
    read = {action_id for action_id, _, _ in BUTTONS} | FORMS | SEARCHES | SHIP_FIELDS
    assert read == ids_in_actions()


@pytest.mark.parametrize("action_id, value, command", BUTTONS, ids=lambda x: str(x)[:30])
def test_a_button_reads_as_its_command(action_id, value, command):
    assert command_for(action_id, value) == command


@pytest.mark.parametrize(
    "action_id, value",
    [
        (actions.PAGE, "no-page-here"),
        (actions.PAGE, "nowhere|1"),
        (actions.PAGE, "all|0"),
        (actions.PAGE, "all|two"),
        (actions.CANCEL_CONFIRM, OID),
        (actions.CANCEL_CONFIRM, f"|{REASON}"),
        (actions.VIEW_ORDER, ""),
        (actions.MARK_HANDLED, ""),
        (actions.CANCEL_FORM, OID),  # a form id is not a button
        (actions.DUE_PAGE, "0"),
        (actions.DUE_PAGE, "two"),
        ("order_delete_everything", OID),
    ],
)
def test_a_value_no_reply_of_ours_carries_reads_as_nothing(action_id, value):
    assert command_for(action_id, value) is None


def test_the_cancel_form_needs_a_reason():
    assert command_for_form(actions.CANCEL_FORM, OID, {"reason": REASON}) == Cancel(OID, REASON)
    assert command_for_form(actions.CANCEL_FORM, OID, {}) == FieldErrors(
        Cancel, {"reason": "Choose a reason."}
    )


def test_the_map_form_takes_two_skus_checked_as_typed_ones_are():
    both = {"tiktok_sku": "TT-MUG-RED", "etsy_sku": "'MUG-01-RED'"}
    assert command_for_form(actions.MAP_SKU_FORM, "", both) == Map("TT-MUG-RED", "MUG-01-RED")
    assert command_for_form(actions.MAP_SKU_FORM, "", {}) == FieldErrors(
        Map, {"tiktok_sku": "Enter the TikTok SKU.", "etsy_sku": "Enter the Etsy SKU."}
    )


@pytest.mark.parametrize(
    "etsy_sku, error",
    [
        ("M" * 201, "is too long for a SKU (limit 200 characters)"),
        ("MUG 01", "SKUs have no spaces"),
        ("MUG\t01", "SKUs have no spaces"),
        ("<@U0ADMIN>", "is a Slack mention or link, not a SKU"),
        ("<!channel>", "is a Slack mention or link, not a SKU"),
        ("MUG\u202e10", "control character (U+202E)"),
    ],
)
def test_a_bad_sku_in_the_map_form_is_sent_back_on_its_field(etsy_sku, error):
    values = {"tiktok_sku": "TT-MUG-RED", "etsy_sku": etsy_sku}
    answer = command_for_form(actions.MAP_SKU_FORM, "", values)
    assert isinstance(answer, FieldErrors) and answer.kind is Map
    assert list(answer.messages) == ["etsy_sku"] and error in answer.messages["etsy_sku"]


def test_the_reject_form_needs_one_of_the_reasons_it_offered():
    assert command_for_form(actions.RETURN_REJECT_FORM, RID, {}) == FieldErrors(
        ReturnReject, {"reason": "Choose a reason."}
    )
    chosen = {"reason": "seller_reject_apply_item_is_correct"}
    assert command_for_form(actions.RETURN_REJECT_FORM, RID, chosen) == ReturnReject(
        RID, "seller_reject_apply_item_is_correct"
    )


def test_an_unknown_form_reads_as_nothing():
    assert command_for_form("order_delete_form", OID, {"reason": REASON}) is None


# Round trips: the buttons and forms the core builds, read back here.


def buttons(reply) -> list:
    return [b for block in reply.blocks if isinstance(block, Actions) for b in block.buttons]


def test_the_home_buttons_fetch_and_open_sections(core, shops):
    shops.tiktok.add_order(skus=["TT-GHOST-1"])  # one failed order: home links to Failed
    core.services.engine.fetch()
    reply = home(Context(core.services, Actor("U0ANY", is_admin=False)))
    assert [command_for(b.action_id, b.value) for b in buttons(reply)] == [
        Fetch(),
        Status(Section.FAILED, 1),
        Status(Section.AWAITING_SHIPMENT, 1),
    ]


def test_the_cancel_form_and_the_confirm_button_cancel_what_they_were_opened_for(core, shops):
    order_id = shops.tiktok.add_order(skus=["TT-GHOST-1"])["id"]
    core.services.engine.fetch()
    admin = Context(core.services, Actor("U0ADMIN", is_admin=True))

    form = execute(Cancel(order_id), admin).form
    (select,) = [field for field in form.fields if isinstance(field, SelectField)]
    reason = select.options[0][0]
    values = {select.id: reason}
    answer = command_for_form(form.callback_id, form.private_metadata, values)
    assert answer == Cancel(order_id, reason)

    (confirm,) = buttons(execute(answer, admin))  # typed reasons get the same prompt
    assert command_for(confirm.action_id, confirm.value) == Cancel(order_id, reason)


def test_the_map_form_maps_the_sku_it_was_opened_for(core):
    admin = Context(core.services, Actor("U0ADMIN", is_admin=True))
    form = execute(Map("TT-TOTE-CANVAS"), admin).form
    values = {field.id: field.initial for field in form.fields if field.initial}
    values["etsy_sku"] = "TOTE-CANVAS"
    answer = command_for_form(form.callback_id, form.private_metadata, values)
    assert answer == Map("TT-TOTE-CANVAS", "TOTE-CANVAS")


def test_the_ship_form_reads_as_a_ship_of_the_items_picked():
    values = {
        actions.SHIP_CARRIER_FIELD: "6617675021119438849",
        actions.SHIP_TRACKING_FIELD: "9400 1118 9922 3456 7890 12",  # pasted with spaces
        actions.SHIP_ITEMS_FIELD: "5771,5772",
    }
    assert command_for_form(actions.SHIP_FORM, OID, values) == Ship(
        OID, "6617675021119438849", "9400111899223456789012", ("5771", "5772")
    )
    whole = {k: v for k, v in values.items() if k != actions.SHIP_ITEMS_FIELD}
    assert command_for_form(actions.SHIP_FORM, OID, whole).line_ids == ()


@pytest.mark.parametrize(
    "values, field",
    [
        ({actions.SHIP_TRACKING_FIELD: "9400111899223456789012"}, actions.SHIP_CARRIER_FIELD),
        ({actions.SHIP_CARRIER_FIELD: "1"}, actions.SHIP_TRACKING_FIELD),
        (
            {actions.SHIP_CARRIER_FIELD: "1", actions.SHIP_TRACKING_FIELD: "94-00"},
            actions.SHIP_TRACKING_FIELD,
        ),
        (
            {actions.SHIP_CARRIER_FIELD: "1", actions.SHIP_TRACKING_FIELD: "9" * 41},
            actions.SHIP_TRACKING_FIELD,
        ),
    ],
)
def test_a_ship_form_missing_or_with_a_bad_field_is_sent_back(values, field):
    errors = command_for_form(actions.SHIP_FORM, OID, values)
    assert isinstance(errors, FieldErrors) and errors.kind is Ship
    assert set(errors.messages) == {field}
