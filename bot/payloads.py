"""Reading what Slack sent: who asked, from where, with which values. No Slack calls here."""

from collections.abc import Mapping
from typing import Any


def user_id(body: Mapping[str, Any]) -> str:
    """The Slack user behind a slash command, an interaction or an event."""
    if "user_id" in body:  # slash command
        return body["user_id"]
    user = body.get("user")
    if isinstance(user, Mapping):
        return user.get("id", "")
    event = body.get("event") or {}
    return event.get("user", "")


def channel_id(body: Mapping[str, Any]) -> str | None:
    if body.get("channel_id"):
        return body["channel_id"]
    channel = body.get("channel")
    if isinstance(channel, Mapping) and channel.get("id"):
        return channel["id"]
    container = body.get("container") or {}
    return container.get("channel_id")


def first_action(body: Mapping[str, Any]) -> Mapping[str, Any]:
    actions = body.get("actions") or [{}]
    return actions[0]


def action_value(action: Mapping[str, Any]) -> str:
    """What a clicked button carries, or the value of the option chosen in a menu."""
    if "selected_option" in action:
        return (action.get("selected_option") or {}).get("value", "")
    return action.get("value", "")


def view_kind(body: Mapping[str, Any]) -> str | None:
    """ "modal" or "home" when the interaction came from a view, else None (a message)."""
    view = body.get("view")
    return view.get("type") if isinstance(view, Mapping) else None


def form_values(view: Mapping[str, Any]) -> dict[str, str]:
    """A submitted modal's inputs as {field id: value}; empty inputs are left out."""
    values: dict[str, str] = {}
    for block in (view.get("state") or {}).get("values", {}).values():
        for action_id, state in block.items():
            if state.get("type") in ("static_select", "external_select"):
                chosen = state.get("selected_option") or {}
                value = chosen.get("value")
            elif state.get("type") == "multi_static_select":  # values hold no comma
                picked = state.get("selected_options") or []
                value = ",".join(str(o.get("value")) for o in picked if o.get("value"))
            else:
                value = state.get("value")
            if value is not None and str(value).strip():
                values[action_id] = str(value).strip()
    return values
