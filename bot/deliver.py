"""Showing a reply where the user is: in the conversation, in a modal, or over App Home."""

import logging
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk import WebClient

from bot import render
from bot.payloads import channel_id, user_id, view_kind
from commands.replies import Form, Reply

log = logging.getLogger(__name__)


def response_type(reply: Reply) -> str:
    return "in_channel" if reply.public and reply.ok else "ephemeral"


def open_form(form: Form, *, body: Mapping[str, Any], client: WebClient) -> None:
    """Open a form as a modal, stacked on the current modal when there is one."""
    view = render.form_modal(form)
    if view_kind(body) == "modal":
        client.views_push(trigger_id=body["trigger_id"], view=view)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def present(
    reply: Reply,
    *,
    body: Mapping[str, Any],
    client: WebClient,
    respond: Callable[..., Any] | None,
    in_place: bool = False,
) -> None:
    """Show `reply` to the user who sent `body`.

    `in_place` replaces what the user clicked on (paging, a confirmation prompt) when the reply
    succeeded; a failed reply is shown beside it, so the user keeps what they had.
    """
    if reply.form is not None:
        open_form(reply.form, body=body, client=client)
        return
    replace = in_place and reply.ok
    kind = view_kind(body)
    if kind == "modal":
        view = body["view"]
        if replace:
            client.views_update(view_id=view["id"], view=render.reply_modal(reply))
        else:
            client.views_push(trigger_id=body["trigger_id"], view=render.reply_modal(reply))
    elif kind == "home":
        client.views_open(trigger_id=body["trigger_id"], view=render.reply_modal(reply))
    elif respond is not None and body.get("response_url"):
        _respond(reply, body=body, respond=respond, replace=replace)
    else:
        client.chat_postEphemeral(
            channel=channel_id(body), user=user_id(body), **render.message(reply)
        )


def _respond(
    reply: Reply, *, body: Mapping[str, Any], respond: Callable[..., Any], replace: bool
) -> None:
    """Answer through the response_url. Only the user's own (ephemeral) message is replaced:
    a message the whole channel sees (an alert, a fetch summary) stays as it is."""
    message = render.message(reply)
    if "command" in body:
        _send(respond, **message, response_type=response_type(reply))
        return
    own = bool((body.get("container") or {}).get("is_ephemeral"))
    if not (replace and own):
        _send(respond, **message, response_type=response_type(reply), replace_original=False)
    elif response_type(reply) == "in_channel":
        # A private prompt whose outcome the channel should see (a cancellation): the prompt
        # goes, the outcome is posted for everyone.
        _send(respond, delete_original=True)
        _send(respond, **message, response_type="in_channel", replace_original=False)
    else:
        _send(respond, **message, response_type="ephemeral", replace_original=True)


def _send(respond: Callable[..., Any], **message: Any) -> None:
    """respond() does not raise when Slack refuses; say so in the log at least."""
    result = respond(**message)
    status = getattr(result, "status_code", 200)
    if status != 200:
        log.warning("Slack refused a response_url post (%s): %s", status, result.body)


def show_in_view(client: WebClient, view_id: str, reply: Reply, *, title: str) -> None:
    """Replace a submitted modal's "working" screen with the outcome."""
    client.views_update(view_id=view_id, view=render.reply_modal(reply, title=title))


STALE_BUTTON = Reply(
    text="That button no longer works; run the command again to get a fresh one.", ok=False
)
