"""Clicks and form submissions read as typed commands: what each button (`commands.actions`)
and each form of our replies asks for, written once.

The Slack listeners and the terminal console both read them here, so a button means the same
wherever it is pressed. A value that none of our replies carries (a stale or forged button) reads
as None; form input is checked as the text parser checks typed input.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from commands import actions, parse
from commands.types import (
    Cancel,
    Command,
    Due,
    Fetch,
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
    ViewAllFailed,
    ViewAllNew,
)
from sync.shipping.carriers import tracking_problem

# Buttons whose value is the command's one argument (an order id, a SKU, an alert key).
_ONE_VALUE: dict[str, Callable[[str], Command]] = {
    actions.VIEW_ORDER: Show,
    actions.CANCEL_START: Cancel,  # no reason yet: the command answers with the reason form
    actions.RETRY_PLACEMENT: Retry,
    actions.RESTOCK: Restock,
    actions.MAP_SKU_START: Map,  # no Etsy SKU yet: the command answers with the mapping form
    actions.MARK_HANDLED: MarkHandled,
    actions.VIEW_ALL_NEW: ViewAllNew,
    actions.RETRY_ALL: RetryAll,
    actions.VIEW_ALL_FAILED: ViewAllFailed,
    actions.RETURN_APPROVE: ReturnApprove,
    actions.RETURN_REJECT_START: ReturnReject,  # no reason yet: answered with the reason form
    actions.RETURN_RESTOCK: ReturnRestock,
    actions.SHIP_START: Ship,  # no carrier yet: the command answers with the Ship… form
}


# What a grid row's menu may offer (each option stands for one of these buttons).
_MENU_ACTIONS = (
    actions.VIEW_ORDER,
    actions.CANCEL_START,
    actions.RETRY_PLACEMENT,
    actions.SHIP_START,
)


@dataclass(frozen=True)
class FieldErrors:
    """A form to send back unrun: the kind of command it would run, and what to fix per field."""

    kind: type
    messages: Mapping[str, str]


# Lists paged by Previous / Next (value: the page number).
_PAGED = {actions.MAPPINGS_PAGE: Mappings, actions.RETURNS_PAGE: Returns, actions.DUE_PAGE: Due}


def command_for(action_id: str, value: str) -> Command | None:
    """The command a click on button `action_id` (or a menu choice) with `value` asks for."""
    if action_id == actions.FETCH_NOW:
        return Fetch()
    if action_id == actions.PAGE:  # "<slug>|<page>"
        slug, _, page = value.partition("|")
        command = parse.status([slug, page]) if slug and page else None
        return command if isinstance(command, Status) else None
    if action_id in _PAGED:  # the page number
        if value.isdigit() and 1 <= int(value) <= parse.MAX_PAGE:
            return _PAGED[action_id](int(value))
        return None
    if action_id == actions.ROW_MENU:  # "<action_id>|<value>" of a button it stands for
        inner, _, inner_value = value.partition("|")
        return command_for(inner, inner_value) if inner in _MENU_ACTIONS else None
    if action_id == actions.CANCEL_CONFIRM:  # "<order_id>|<reason_key>"
        order_id, _, reason = value.partition("|")
        return Cancel(order_id, reason) if order_id and reason else None
    make = _ONE_VALUE.get(action_id)
    return make(value) if make and value else None


def command_for_form(
    callback_id: str, private_metadata: str, values: Mapping[str, str]
) -> Command | FieldErrors | None:
    """The command a submitted form asks for; `values` are its filled-in fields by id."""
    if callback_id == actions.CANCEL_FORM:  # private_metadata: the order id
        reason = values.get("reason")
        if reason is None:
            return FieldErrors(Cancel, {"reason": "Choose a reason."})
        return Cancel(private_metadata, reason)
    if callback_id == actions.MAP_SKU_FORM:
        skus: dict[str, str] = {}
        errors: dict[str, str] = {}
        for field, missing in (
            ("tiktok_sku", "Enter the TikTok SKU."),
            (actions.ETSY_SKU_FIELD, "Enter the Etsy SKU."),
        ):
            checked = parse.sku(values[field]) if field in values else Invalid(missing)
            if isinstance(checked, Invalid):
                errors[field] = checked.message
            else:
                skus[field] = checked
        if errors:
            return FieldErrors(Map, errors)
        return Map(skus["tiktok_sku"], skus[actions.ETSY_SKU_FIELD])
    if callback_id == actions.RETURN_REJECT_FORM:  # private_metadata: the request id
        reason = values.get("reason")
        if not reason:
            return FieldErrors(ReturnReject, {"reason": "Choose a reason."})
        return ReturnReject(private_metadata, reason)
    if callback_id == actions.SHIP_FORM:  # private_metadata: the order id
        return _ship_form(private_metadata, values)
    return None


def _ship_form(order_id: str, values: Mapping[str, str]) -> Command | FieldErrors:
    errors: dict[str, str] = {}
    carrier = values.get(actions.SHIP_CARRIER_FIELD)
    if not carrier:
        errors[actions.SHIP_CARRIER_FIELD] = "Choose the carrier."
    # Pasted numbers often carry spaces ("9400 1118 …"); carriers' numbers have none.
    tracking = "".join(values.get(actions.SHIP_TRACKING_FIELD, "").split())
    problem = tracking_problem(tracking)
    if problem:
        errors[actions.SHIP_TRACKING_FIELD] = problem
    if errors:
        return FieldErrors(Ship, errors)
    items = values.get(actions.SHIP_ITEMS_FIELD, "")
    line_ids = tuple(item for item in items.split(",") if item)
    return Ship(order_id, carrier, tracking, line_ids)
