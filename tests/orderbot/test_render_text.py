import pytest

from commands.replies import (
    Actions,
    Button,
    Byline,
    Form,
    Heading,
    KeyValues,
    Paragraph,
    Reply,
    SelectField,
    Table,
    TextField,
)
from orderbot.render_text import render_text


def test_text_shown_only_without_blocks():
    assert render_text(Reply("Fetched 3 orders")) == "Fetched 3 orders"
    shown = render_text(Reply("summary", blocks=(Paragraph("body"),)))
    assert shown == "body"


def test_heading_is_underlined_to_its_length():
    assert render_text(Reply("", blocks=(Heading("Failed"),))) == "Failed\n──────"


def test_paragraph_wraps_at_width():
    lines = render_text(Reply("", blocks=(Paragraph("word " * 50),)), width=30).split("\n")
    assert len(lines) > 5
    assert all(len(line) <= 30 for line in lines)


def test_key_values_align_values():
    out = render_text(Reply("", blocks=(KeyValues((("Order", "1"), ("Fulfilled By", "TikTok"))),)))
    assert out.split("\n") == ["Order:        1", "Fulfilled By: TikTok"]


def test_table_columns_align_with_header_and_separator():
    table = Table(("ID", "Status"), (("576461413038785752", "Delivered"), ("9", "Failed")))
    lines = render_text(Reply("", blocks=(table,))).split("\n")
    assert lines == [
        "ID                  Status",
        "──────────────────  ─────────",
        "576461413038785752  Delivered",
        "9                   Failed",
    ]


def test_long_cells_wrap_to_fit_width_and_lose_nothing():
    table = Table(("ID", "Line Items"), (("1", "MUG-" * 60), ("2", "short")))
    lines = render_text(Reply("", blocks=(table,)), width=40).split("\n")
    assert all(len(line) <= 40 for line in lines)
    assert lines[2].startswith("1   MUG-MUG") and "…" not in "".join(lines)
    assert "".join(line[4:] for line in lines[2:-1]) == "MUG-" * 60
    assert lines[-1] == "2   short"


def test_wide_characters_keep_columns_aligned():
    table = Table(("SKU", "Qty"), (("咖啡杯", "1"), ("MUG", "2")))
    lines = render_text(Reply("", blocks=(table,))).split("\n")
    # 咖啡杯 takes six terminal columns, so it pads with fewer spaces than MUG.
    assert lines[2] == "咖啡杯  1"
    assert lines[3] == "MUG     2"


def test_multiline_cells_become_extra_lines():
    table = Table(("ID", "Items", "Price"), (("1", "A → 10\nB → 11", "5.00 USD"),))
    lines = render_text(Reply("", blocks=(table,))).split("\n")
    assert lines[2:] == ["1   A → 10  5.00 USD", "    B → 11"]


def test_buttons_render_as_bracketed_labels():
    buttons = (Button("View", "order_view", "1"), Button("Cancel…", "x", "1", style="danger"))
    assert render_text(Reply("", blocks=(Actions(buttons),))) == "[View] [Cancel…]"


def test_a_byline_names_a_slack_user_with_an_at_and_anyone_else_in_words():
    lines = (Byline("Handled by ", "U0ADMIN"), Byline("Retried by ", "the orderbot operator", "."))
    out = render_text(Reply("x", blocks=lines))
    assert out == "Handled by @U0ADMIN\n\nRetried by the orderbot operator."
    assert render_text(Reply("x", blocks=(Byline("Cancelled by TikTok: lost"),))) == (
        "Cancelled by TikTok: lost"
    )


def test_blocks_are_separated_by_blank_lines():
    out = render_text(Reply("", blocks=(Heading("H"), Paragraph("p"))))
    assert out == "H\n─\n\np"


def test_form_numbers_options():
    form = Form(
        title="Cancel order",
        submit="Cancel it",
        callback_id="order_cancel_form",
        private_metadata="1",
        intro="Pick a reason.",
        fields=(
            SelectField("reason", "Reason", (("a", "Out of stock"), ("b", "Pricing error"))),
            TextField("note", "Note", placeholder="anything else", optional=True),
        ),
    )
    out = render_text(Reply("Why?", form=form))
    assert out.endswith(
        "Pick a reason.\nReason:\n  1. Out of stock\n  2. Pricing error\n"
        "Note (optional): (anything else)"
    )
    assert out.startswith("Why?\n\nCancel order\n")


def test_a_filled_in_field_shows_its_value():
    form = Form(
        title="Map a SKU",
        submit="Map",
        callback_id="sku_map_form",
        private_metadata="TT-1",
        intro="Map it.",
        fields=(
            TextField("tiktok_sku", "TikTok SKU", initial="TT-1"),
            TextField("etsy_sku", "Etsy SKU"),
        ),
    )
    assert render_text(Reply("Map", form=form)).endswith("TikTok SKU: TT-1\nEtsy SKU:")


@pytest.mark.parametrize("hostile", ["\x1b[2J", "a\x07b", "x\u202ey"])
def test_control_characters_never_reach_the_terminal(hostile):
    table = Table(("SKU",), ((hostile,),))
    out = render_text(Reply(hostile, blocks=(Paragraph(hostile), table)))
    assert not any(ch in out for ch in "\x1b\x07\u202e")
    assert "�" in out
