"""Reply → Block Kit: every block type, escaping, and Slack's limits (checked with slack_sdk's
Block Kit models and the sandbox's limit checks)."""

import json

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot import render
from bot.render import limits
from commands import actions
from commands.replies import (
    Actions,
    Button,
    Byline,
    Confirm,
    Form,
    Heading,
    KeyValues,
    Paragraph,
    Reply,
    SelectField,
    Table,
    TextField,
)
from sandbox.slack import MESSAGE_BLOCKS, check_blocks, check_view

HOSTILE = "<!channel> ping <@U123> & <https://evil.example|click> *bold*"


def assert_valid_message(message: dict) -> None:
    assert message["text"], "a message always carries fallback text"
    for block in message["blocks"]:
        Block.parse(block).to_dict()  # raises on a broken block
    assert check_blocks(message["blocks"], limit=MESSAGE_BLOCKS, surface="message") == []


def text_objects(node):
    """Every text object ({type: plain_text|mrkdwn, text}) in a payload."""
    if isinstance(node, dict):
        if node.get("type") in ("plain_text", "mrkdwn") and "text" in node:
            yield node
        for value in node.values():
            yield from text_objects(value)
    elif isinstance(node, list):
        for item in node:
            yield from text_objects(item)


def every_reply_block() -> Reply:
    return Reply(
        text="Everything",
        blocks=(
            Heading("Orders per section"),
            Paragraph("Plain words\nover two lines"),
            KeyValues((("On Hold", "3"), ("Failed", "1"))),
            Table(("TTS order ID", "Price"), (("576", "10.00 USD"), ("577", ""))),
            Actions(
                (
                    Button("View", actions.VIEW_ORDER, "576"),
                    Button(
                        "Cancel order",
                        actions.CANCEL_CONFIRM,
                        "576|out_of_stock",
                        style="danger",
                        confirm=Confirm("Cancel?", "Cancel order 576?", "Cancel it", "Keep it"),
                    ),
                    Button("Retry", actions.RETRY_PLACEMENT, "577", style="primary"),
                )
            ),
        ),
    )


def test_every_block_type_renders_to_valid_block_kit():
    message = render.message(every_reply_block())
    assert [b["type"] for b in message["blocks"]] == [
        "header",
        "section",
        "section",
        "table",
        "actions",
    ]
    assert_valid_message(message)
    fields = message["blocks"][2]["fields"]
    assert fields[0]["text"] == "*On Hold*\n3"
    table = message["blocks"][3]
    assert [c["text"] for c in table["rows"][0]] == ["TTS order ID", "Price"]
    assert [c["text"] for c in table["rows"][2]] == ["577", "—"]  # empty cells are not allowed
    danger = message["blocks"][4]["elements"][1]
    assert danger["style"] == "danger"
    assert danger["confirm"]["style"] == "danger"
    assert danger["value"] == "576|out_of_stock"
    assert danger["action_id"] == actions.CANCEL_CONFIRM


def test_reply_without_blocks_shows_its_text_and_failures_are_marked():
    message = render.message(Reply(text="No order 42 is known.", ok=False))
    assert message["blocks"][0]["text"]["text"] == ":warning: No order 42 is known."
    assert_valid_message(message)


@pytest.mark.parametrize(
    "block",
    [
        Heading(HOSTILE),
        Paragraph(HOSTILE),
        KeyValues(((HOSTILE, HOSTILE),)),
        Table((HOSTILE,), ((HOSTILE,),)),
        Actions((Button(HOSTILE, actions.VIEW_ORDER, "1", confirm=Confirm(HOSTILE, HOSTILE)),)),
        Byline(HOSTILE, HOSTILE, HOSTILE),
    ],
    ids=["heading", "paragraph", "key-values", "table", "button", "byline"],
)
def test_typed_mentions_never_reach_slack_as_markup(block):
    for surface in ("message", "modal"):
        reply = Reply(text=HOSTILE, blocks=(block, Table((HOSTILE,), ((HOSTILE,),))))
        payload = render.message(reply) if surface == "message" else render.reply_modal(reply)
        assert "<!channel>" not in payload.get("text", "")
        for obj in text_objects(payload["blocks"]):
            if obj["type"] == "mrkdwn":  # Slack parses these: everything must be escaped
                assert "<" not in obj["text"] and ">" not in obj["text"]
                assert "&lt;!channel&gt;" in obj["text"] or "&lt;@U123&gt;" in obj["text"]
                assert "& " not in obj["text"]
            # plain_text is shown literally by Slack: no markup is parsed there
    assert render.message(Reply(text=HOSTILE))["text"].startswith("&lt;!channel&gt; ping")


@pytest.mark.parametrize(
    ("actor", "shown"),
    [
        ("U0ADMIN", "Handled by <@U0ADMIN> today"),
        ("W0ENTERPRISE1", "Handled by <@W0ENTERPRISE1> today"),
        ("the orderbot operator", "Handled by the orderbot operator today"),
        ("U0ADMIN>|<!channel", "Handled by U0ADMIN&gt;|&lt;!channel today"),
        ("u0admin", "Handled by u0admin today"),  # not an id: lower case
        ("<@U123>", "Handled by &lt;@U123&gt; today"),
        (None, "Handled by  today"),
    ],
)
def test_a_byline_mentions_only_a_slack_user_id(actor, shown):
    message = render.message(Reply(text="x", blocks=(Byline("Handled by ", actor, " today"),)))
    assert_valid_message(message)
    (line,) = message["blocks"]
    assert line == {"type": "context", "elements": [{"type": "mrkdwn", "text": shown}]}


def test_a_long_byline_stays_within_the_context_limits():
    line = Byline("<" * 4000, "U0ADMIN", "&" * 4000)
    message = render.message(Reply(text="x", blocks=(line,)))
    assert_valid_message(message)
    text = message["blocks"][0]["elements"][0]["text"]
    assert len(text) <= limits.SECTION_TEXT and "<@U0ADMIN>" in text


def test_escaped_text_is_cut_without_splitting_an_entity():
    text = render.fallback_text(Reply(text="&" * 5000))
    assert len(text) <= limits.FALLBACK_TEXT
    assert text.endswith("&amp;…")


def test_a_hundred_row_table_stays_within_the_table_limits():
    rows = tuple(
        (f"5764600000{i:08d}", "Seller", "SKU-1 ×1 → listing 1 / SKU-1") for i in range(150)
    )
    reply = Reply(text="Orders", blocks=(Table(("ID", "By", "Line Items"), rows),))
    message = render.message(reply)
    assert_valid_message(message)
    table, note = message["blocks"]
    assert len(table["rows"]) == limits.TABLE_ROWS  # header + 99
    assert all(len(row) == 3 for row in table["rows"])
    assert sum(len(c["text"]) for row in table["rows"] for c in row) <= limits.TABLE_CHARS
    assert note["type"] == "context"
    assert f"of {len(rows)} rows" in note["elements"][0]["text"]


def test_table_cells_that_would_pass_the_size_cap_drop_rows_not_the_message():
    rows = tuple(("x" * 900, "y" * 900) for _ in range(20))
    message = render.message(Reply(text="Big", blocks=(Table(("a", "b"), rows),)))
    assert_valid_message(message)
    shown = len(message["blocks"][0]["rows"]) - 1
    assert 0 < shown < 20


def test_second_table_and_tables_outside_messages_become_monospace_grids():
    first = Table(("SKU", "Item"), (("A-1", "Mug"),))
    second = Table(("When", "Who", "What"), (("2024-01-01", "<@U1>", "cancelled & restored"),))
    message = render.message(Reply(text="Order", blocks=(first, second)))
    assert [b["type"] for b in message["blocks"]] == ["table", "section"]
    grid = message["blocks"][1]["text"]
    assert grid["type"] == "mrkdwn" and grid["text"].startswith("```")
    assert "&lt;@U1&gt;" in grid["text"] and "cancelled &amp; restored" in grid["text"]
    assert_valid_message(message)

    modal = render.reply_modal(Reply(text="Order", blocks=(first,)))
    assert "table" not in json.dumps([b["type"] for b in modal["blocks"]])
    assert check_view(modal) == []


def test_a_grid_too_long_for_one_section_is_split():
    rows = tuple((f"order-{i:04d}", "x" * 25, "y" * 25) for i in range(200))
    modal = render.reply_modal(Reply(text="Grid", blocks=(Table(("ID", "A", "B"), rows),)))
    sections = modal["blocks"]
    assert len(sections) > 1
    assert all(len(b["text"]["text"]) <= limits.SECTION_TEXT for b in sections)
    assert check_view(modal) == []


def test_long_texts_are_split_or_cut_never_rejected():
    long = "word " * 2000  # 10 000 characters
    reply = Reply(
        text=long,
        blocks=(
            Heading(long),
            Paragraph(long),
            KeyValues(((long, long),)),
            Actions((Button(long, actions.VIEW_ORDER, "1"),)),
        ),
    )
    message = render.message(reply)
    assert_valid_message(message)
    header = message["blocks"][0]["text"]["text"]
    assert len(header) == limits.HEADER_TEXT and header.endswith("…")
    paragraphs = [b for b in message["blocks"] if b["type"] == "section" and "text" in b]
    assert len(paragraphs) == 4  # 10 000 characters in pieces of at most 3 000
    button = message["blocks"][-1]["elements"][0]["text"]["text"]
    assert len(button) == limits.BUTTON_TEXT


def test_too_many_blocks_keep_the_trailing_buttons():
    paging = Actions((Button("Next", actions.PAGE, "all|2"),))
    reply = Reply(text="Many", blocks=(*(Paragraph(f"p{i}") for i in range(80)), paging))
    message = render.message(reply)
    assert len(message["blocks"]) == limits.MESSAGE_BLOCKS
    assert message["blocks"][-1]["elements"][0]["value"] == "all|2"
    assert message["blocks"][-2]["type"] == "context"
    assert_valid_message(message)
    home = render.home_view(reply)
    assert len(home["blocks"]) == 81  # 80 paragraphs and the buttons fit in 100
    assert check_view(home) == []


def test_many_buttons_split_and_repeated_ids_are_numbered():
    buttons = tuple(Button(f"View {i}", actions.VIEW_ORDER, str(i)) for i in range(30))
    message = render.message(Reply(text="Buttons", blocks=(Actions(buttons),)))
    first, second = message["blocks"]
    assert len(first["elements"]) == limits.ACTIONS_ELEMENTS and len(second["elements"]) == 5
    ids = [e["action_id"] for b in message["blocks"] for e in b["elements"]]
    assert len(set(ids)) == 30
    pattern = render.action_pattern(actions.VIEW_ORDER)
    assert all(pattern.match(i) for i in ids)
    assert not pattern.match(actions.VIEW_ALL_NEW)
    assert {render.base_action_id(i) for i in ids} == {actions.VIEW_ORDER}
    assert_valid_message(message)


def test_a_button_whose_value_slack_cannot_carry_is_left_out():
    buttons = (Button("Huge", actions.VIEW_ORDER, "x" * 2001), Button("Ok", actions.PAGE, "all|1"))
    message = render.message(Reply(text="b", blocks=(Actions(buttons),)))
    assert [e["text"]["text"] for e in message["blocks"][0]["elements"]] == ["Ok"]


def test_a_form_becomes_a_modal_with_inputs():
    form = Form(
        title="Cancel order 576460000000000021 now",
        submit="Cancel order",
        callback_id=actions.CANCEL_FORM,
        private_metadata="576460000000000021",
        intro=f"Cancel it? {HOSTILE}",
        fields=(
            SelectField("reason", "Reason", tuple((f"key{i}", f"Reason {i}") for i in range(150))),
            TextField("note", "Note", placeholder="Why", multiline=True, optional=True),
        ),
    )
    view = render.form_modal(form)
    assert check_view(view) == []
    View(**view).to_dict()
    assert view["callback_id"] == actions.CANCEL_FORM
    assert view["private_metadata"] == "576460000000000021"
    assert len(view["title"]["text"]) <= limits.MODAL_TITLE
    select, note = view["blocks"][1], view["blocks"][2]
    assert select["block_id"] == "reason" and select["element"]["action_id"] == "reason"
    assert len(select["element"]["options"]) == limits.SELECT_OPTIONS
    assert note["optional"] is True and note["element"]["multiline"] is True


def test_a_form_field_can_come_filled_in():
    form = Form(
        title="Map a SKU",
        submit="Map",
        callback_id=actions.MAP_SKU_FORM,
        private_metadata="TT-SKU-9",
        intro="Map it.",
        fields=(
            TextField("tiktok_sku", "TikTok SKU", initial="TT-SKU-9"),
            TextField("etsy_sku", "Etsy SKU"),
        ),
    )
    view = render.form_modal(form)
    assert check_view(view) == []
    fields = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert fields["tiktok_sku"]["initial_value"] == "TT-SKU-9"
    assert "initial_value" not in fields["etsy_sku"]


def test_home_and_notice_views_are_valid():
    home = render.home_view(every_reply_block())
    assert home["type"] == "home" and check_view(home) == []
    assert "table" not in [b["type"] for b in home["blocks"]]
    notice = render.notice_modal("A title far longer than Slack allows", "Done.")
    assert check_view(notice) == [] and len(notice["title"]["text"]) == limits.MODAL_TITLE


def test_progress_text_reads_naturally():
    assert render.progress_text(1, 1, 0, 0) == (
        "Fetching TikTok orders… 1 page read, 1 order seen, 0 placed on Etsy, 0 failed."
    )
    assert "3 pages read, 120 orders seen" in render.progress_text(3, 120, 100, 2)
