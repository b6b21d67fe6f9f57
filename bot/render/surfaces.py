"""Whole Slack payloads from replies: messages, modals (forms and read-only) and the Home tab."""

from bot.render import limits
from bot.render.blocks import Surface, fit, paragraph, render_blocks
from bot.render.text import escape_cut, plain
from commands.replies import ChoicesField, Form, Reply, SearchField, SelectField, TextField

DEFAULT_TITLE = "orderbot"


def fallback_text(reply: Reply) -> str:
    """The top-level `text` (notifications, screen readers). Slack reads it as mrkdwn: escaped."""
    return escape_cut(reply.text or DEFAULT_TITLE, limits.FALLBACK_TEXT)


def _body(reply: Reply, surface: Surface, limit: int) -> list[dict]:
    blocks = render_blocks(reply.blocks, surface)
    if not blocks:
        text = reply.text if reply.ok else f":warning: {reply.text}"
        blocks = paragraph(text) or paragraph(DEFAULT_TITLE)
    return fit(blocks, limit)


def message(reply: Reply) -> dict:
    """`text` and `blocks` for chat.postMessage, chat.update, chat.postEphemeral or respond()."""
    return {"text": fallback_text(reply), "blocks": _body(reply, "message", limits.MESSAGE_BLOCKS)}


def reply_modal(reply: Reply, *, title: str = DEFAULT_TITLE) -> dict:
    """A read-only modal showing a reply (from App Home or on top of another modal)."""
    return {
        "type": "modal",
        "title": plain(title, limits.MODAL_TITLE),
        "close": plain("Close", limits.MODAL_BUTTON),
        "blocks": _body(reply, "modal", limits.VIEW_BLOCKS),
    }


def notice_modal(title: str, text: str) -> dict:
    return reply_modal(Reply(text=text), title=title)


def form_modal(form: Form) -> dict:
    """A form as a modal: one input block per field, block and action ids = the field's id."""
    blocks = paragraph(form.intro)
    for field in form.fields:
        blocks.append(_input(field))
    return {
        "type": "modal",
        "callback_id": form.callback_id,
        "private_metadata": form.private_metadata,
        "title": plain(form.title, limits.MODAL_TITLE),
        "submit": plain(form.submit, limits.MODAL_BUTTON),
        "close": plain("Close", limits.MODAL_BUTTON),
        "blocks": fit(blocks, limits.VIEW_BLOCKS),
    }


def _input(field: SelectField | TextField | SearchField | ChoicesField) -> dict:
    if isinstance(field, ChoicesField):
        element = {
            "type": "multi_static_select",
            "action_id": field.id,
            "placeholder": plain("Choose…", limits.PLACEHOLDER),
            "options": [
                {"text": plain(label, limits.OPTION_TEXT), "value": value}
                for value, label in field.options[: limits.SELECT_OPTIONS]
            ],
        }
        optional = field.optional
    elif isinstance(field, SearchField):
        # Its options come from the app as the user types (a block_suggestion request).
        element = {
            "type": "external_select",
            "action_id": field.id,
            "placeholder": plain(field.placeholder or "Type to search…", limits.PLACEHOLDER),
            "min_query_length": field.min_query_length,
        }
        optional = field.optional
    elif isinstance(field, SelectField):
        options = [
            {"text": plain(label, limits.OPTION_TEXT), "value": value}
            for value, label in field.options[: limits.SELECT_OPTIONS]
        ]
        element: dict = {
            "type": "static_select",
            "action_id": field.id,
            "placeholder": plain("Choose…", limits.PLACEHOLDER),
            "options": options,
        }
        optional = False
    else:
        element = {"type": "plain_text_input", "action_id": field.id}
        if field.multiline:
            element["multiline"] = True
        if field.placeholder:
            element["placeholder"] = plain(field.placeholder, limits.PLACEHOLDER)
        if field.initial:
            element["initial_value"] = field.initial
        optional = field.optional
    block = {
        "type": "input",
        "block_id": field.id,
        "label": plain(field.label, limits.INPUT_LABEL),
        "element": element,
    }
    if optional:
        block["optional"] = True
    return block


def options(choices: tuple[tuple[str, str], ...]) -> dict:
    """An external select's answer: at most SELECT_OPTIONS plain-text options (shown
    literally, so nothing in them is read as markup); a value too long for Slack is left out
    rather than cut into another SKU."""
    return {
        "options": [
            {"text": plain(label, limits.OPTION_TEXT), "value": value}
            for value, label in choices
            if 0 < len(value) <= limits.OPTION_VALUE
        ][: limits.SELECT_OPTIONS]
    }


def home_view(reply: Reply) -> dict:
    return {"type": "home", "blocks": _body(reply, "home", limits.VIEW_BLOCKS)}


def progress_text(pages: int, orders: int, placed: int, failed: int) -> str:
    return (
        f"Fetching TikTok orders… {pages} page{'s' if pages != 1 else ''} read, "
        f"{orders} order{'s' if orders != 1 else ''} seen, "
        f"{placed} placed on Etsy, {failed} failed."
    )


FETCH_STARTED = "Fetching new and changed TikTok orders… progress follows."
WORKING = "Working on it…"
