"""Whole Slack payloads from replies: messages, modals (forms and read-only) and the Home tab."""

from collections.abc import Mapping

from bot.render import limits
from bot.render.blocks import Surface, fit, paragraph, render_blocks
from bot.render.text import cut, escape_cut, plain
from commands.actions import MAP_SKU_FORM
from commands.replies import Form, Reply, SelectField, TextField

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


def form_modal(form: Form, values: Mapping[str, str] | None = None) -> dict:
    """A form as a modal: one input block per field, block and action ids = the field's id."""
    values = values or {}
    blocks = paragraph(form.intro)
    for field in form.fields:
        blocks.append(_input(field, values.get(field.id)))
    return {
        "type": "modal",
        "callback_id": form.callback_id,
        "private_metadata": form.private_metadata,
        "title": plain(form.title, limits.MODAL_TITLE),
        "submit": plain(form.submit, limits.MODAL_BUTTON),
        "close": plain("Close", limits.MODAL_BUTTON),
        "blocks": fit(blocks, limits.VIEW_BLOCKS),
    }


def _input(field: SelectField | TextField, initial: str | None) -> dict:
    if isinstance(field, SelectField):
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
        chosen = [option for option in options if option["value"] == initial]
        if chosen:
            element["initial_option"] = chosen[0]
        optional = False
    else:
        element = {"type": "plain_text_input", "action_id": field.id}
        if field.multiline:
            element["multiline"] = True
        if field.placeholder:
            element["placeholder"] = plain(field.placeholder, limits.PLACEHOLDER)
        if initial:
            element["initial_value"] = initial
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


def home_view(reply: Reply) -> dict:
    return {"type": "home", "blocks": _body(reply, "home", limits.VIEW_BLOCKS)}


def map_sku_form(tiktok_sku: str) -> Form:
    """The form behind "Map SKU…"; open it with {"tiktok_sku": …} to fill that field in."""
    return Form(
        title="Map a SKU",
        submit="Map and retry",
        callback_id=MAP_SKU_FORM,
        private_metadata=cut(tiktok_sku, limits.PRIVATE_METADATA),
        intro="Record which Etsy SKU sells this TikTok SKU. Orders that failed on it are "
        "retried right after.",
        fields=(
            TextField(id="tiktok_sku", label="TikTok SKU"),
            TextField(id="etsy_sku", label="Etsy SKU", placeholder="The SKU on the Etsy listing"),
        ),
    )


def progress_text(pages: int, orders: int, placed: int, failed: int) -> str:
    return (
        f"Fetching TikTok orders… {pages} page{'s' if pages != 1 else ''} read, "
        f"{orders} order{'s' if orders != 1 else ''} seen, "
        f"{placed} placed on Etsy, {failed} failed."
    )


FETCH_STARTED = "Fetching new and changed TikTok orders… progress follows."
WORKING = "Working on it…"
