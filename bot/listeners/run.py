"""What every listener that runs a command does, written once; each listener file calls it.

The command a request asks for is read once, by `read_command` in the app's middleware. That runs
before the ack, and Bolt copies the request's context for the lazy half after the ack, so both
halves see the same command. The ack runs on the request's thread (`process_before_response`)
and does nothing slow: it answers at once, refusing a non-admin's command or form in its body.
The lazy half shows a refused click's refusal (a click's ack shows nothing), and otherwise runs
the command and shows its reply; a refused request never reaches the core.
"""

from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk import WebClient

from bot import render
from bot.deliver import STALE_BUTTON, present, show_in_view
from bot.deps import Deps
from bot.fetch import run_fetch
from bot.payloads import action_value, channel_id, first_action, form_values, user_id, view_kind
from commands.interactions import FieldErrors, command_for, command_for_form
from commands.replies import Reply
from commands.types import Command, Fetch

COMMAND = "orderbot_command"  # the request's command in the Bolt context

Respond = Callable[..., Any] | None


def read_command(deps: Deps, body: Mapping[str, Any]) -> Command | FieldErrors | None:
    """What the request asks for: /orders text parsed, a click or a submitted form read.
    None for anything else (events) and for a button that no reply of ours carries."""
    if "command" in body:  # a slash command
        return deps.core.parse(body.get("text", ""))
    if body.get("type") == "block_actions":
        action = first_action(body)
        action_id = render.base_action_id(str(action.get("action_id", "")))
        return command_for(action_id, action_value(action))
    if body.get("type") == "view_submission":
        view = body.get("view") or {}
        return command_for_form(
            view.get("callback_id", ""), view.get("private_metadata", ""), form_values(view)
        )
    return None


def command_of(context) -> Command | FieldErrors | None:
    return context.get(COMMAND)


def refusal(context, body: Mapping[str, Any]) -> Reply | None:
    """The admin-only refusal for the request's user (`commands.policy`), or None."""
    command = command_of(context)
    if command is None:
        return None
    kind = command.kind if isinstance(command, FieldErrors) else command
    return Deps.of(context).refusal(kind, user_id(body))


def run_command(
    deps: Deps,
    command: Command,
    *,
    body: Mapping[str, Any],
    client: WebClient,
    respond: Respond,
    logger,
    confirmed: bool = False,
    in_place: bool = False,
) -> Reply:
    """Run `command` for the request's user and show the reply; a fetch shows its progress in
    one message edited in place. `in_place`: see `present`."""
    user = user_id(body)
    if isinstance(command, Fetch):
        # From App Home the progress goes to the user's DM with the app (posting to a user id).
        channel = user if view_kind(body) == "home" else channel_id(body)
        return run_fetch(
            deps, user=user, channel=channel, client=client, respond=respond, logger=logger
        )
    reply = deps.core.execute(command, deps.context(user, confirmed=confirmed))
    present(reply, body=body, client=client, respond=respond, in_place=in_place)
    return reply


def ack_click(ack) -> None:
    """The ack of every button: at once (the lazy half refuses a user who may not)."""
    ack()


def run_click(
    *,
    body: Mapping[str, Any],
    client: WebClient,
    respond: Respond,
    context,
    logger,
    in_place: bool = False,
) -> Reply | None:
    """The lazy half of a button: its command run and the reply shown; None when the user may
    not (they are told privately) or the button is stale. A click is the user's answer to what
    we showed them, so it runs confirmed (a command that asks first asks with a button of its
    own)."""
    command = command_of(context)
    if command is None:
        present(STALE_BUTTON, body=body, client=client, respond=respond)
        return None
    refused = refusal(context, body)
    if refused is not None:
        present(refused, body=body, client=client, respond=respond)
        return None
    return run_command(
        Deps.of(context),
        command,
        body=body,
        client=client,
        respond=respond,
        logger=logger,
        confirmed=True,
        in_place=in_place,
    )


def ack_submission(ack, body, context, *, title: str, working: Callable[[Any], str]) -> None:
    """The ack of a form: a refusal or the fields to fix, else a "working" screen that the
    outcome replaces (`working(command)` says what is being done)."""
    command = command_of(context)
    refused = refusal(context, body)
    if refused is not None:
        ack(response_action="update", view=render.notice_modal(title, refused.text))
    elif isinstance(command, FieldErrors):
        ack(response_action="errors", errors=dict(command.messages))
    else:
        text = f"{working(command)} {render.WORKING}"
        ack(response_action="update", view=render.notice_modal(title, text))


def run_submission(*, body: Mapping[str, Any], client: WebClient, context, title: str) -> None:
    """The lazy half of a form: its command run, confirmed, and the outcome shown in the modal."""
    command = command_of(context)
    if refusal(context, body) is not None or isinstance(command, FieldErrors):
        return  # answered in the ack
    deps = Deps.of(context)
    reply = deps.core.execute(command, deps.context(user_id(body), confirmed=True))
    show_in_view(client, body["view"]["id"], reply, title=title)
