"""Counts that explain themselves, one wording per answer, and typed text read as meant."""

from datetime import UTC, datetime, timedelta

import pytest

from commands import views
from commands.context import Actor, Context
from commands.execute import execute
from commands.interactions import command_for
from commands.parse import EXAMPLE_ID, parse
from commands.replies import Actions, KeyValues, Paragraph
from commands.types import Invalid, Status
from sync.engine import FetchSummary
from sync.sections import Section

GUEST = Actor("U0GUEST", is_admin=False)
OPERATOR = Actor("cli", is_admin=True, trusted=True)


def test_a_fetch_that_only_re_read_orders_says_so():
    start = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
    summary = FetchSummary(started_at=start, finished_at=start + timedelta(seconds=1), orders=4)
    facts = dict(
        next(b for b in views.fetch_summary(summary).blocks if isinstance(b, KeyValues)).items
    )
    assert facts["Orders seen"] == "4 (4 re-read, unchanged)"
    mixed = FetchSummary(started_at=start, orders=10, new=2, updated=3)
    facts = dict(
        next(b for b in views.fetch_summary(mixed).blocks if isinstance(b, KeyValues)).items
    )
    assert facts["Orders seen"] == "10 (5 re-read, unchanged)"
    fresh = FetchSummary(started_at=start, orders=3, new=3)
    facts = dict(
        next(b for b in views.fetch_summary(fresh).blocks if isinstance(b, KeyValues)).items
    )
    assert facts["Orders seen"] == "3"


def test_a_page_past_the_end_counts_in_words_and_offers_the_last_page(core, shops):
    for _ in range(3):
        shops.tiktok.add_order(skus=["TT-GHOST-1"])
    core.services.engine.fetch()

    past = execute(Status(Section.FAILED, 2), Context(core.services, GUEST))

    assert "Failed has 3 orders on 1 page; page 2 is past the end." in past.text
    (back,) = [b for block in past.blocks if isinstance(block, Actions) for b in block.buttons]
    assert back.label == "Go to page 1"
    assert command_for(back.action_id, back.value) == Status(Section.FAILED, 1)


def test_an_unknown_order_gets_one_wording_whatever_the_command(core):
    ctx = Context(core.services, OPERATOR)
    unknown = "999999999999999999"
    answers = {
        execute(parse(f"{verb} {unknown}"), ctx).text for verb in ("show", "cancel", "retry")
    }
    assert answers == {
        f"No order {unknown} is known. Run /orders fetch to bring in new TikTok orders."
    }


def test_errors_are_sentences_and_point_to_help_once(core):
    ctx = Context(core.services, GUEST)
    for text, start in (
        ("show", "Show needs"),
        ("cancel", "Cancel needs"),
        ("fetch x", "Fetch takes"),
    ):
        reply = execute(parse(text), ctx)
        assert not reply.ok and reply.text.startswith(start), reply.text
    unknown = execute(parse("foo"), ctx)
    paragraphs = [b.text for b in unknown.blocks if isinstance(b, Paragraph)]
    assert sum("/orders help" in text for text in paragraphs) == 1


def test_help_examples_are_demo_orders_and_say_so(core, shops):
    shops.seed_demo(1)  # what `orderbot demo` starts with, however few random orders
    assert EXAMPLE_ID in {order["id"] for order in shops.tiktok.orders()}
    reply = execute(parse("help"), Context(core.services, GUEST))
    note = [b.text for b in reply.blocks if isinstance(b, Paragraph)][-1]
    assert EXAMPLE_ID in note and "demo" in note and "18 digits" in note
    too_long = parse("show 1234567890123456789012345")
    assert isinstance(too_long, Invalid) and "they are 18" in too_long.message


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("orders status", Status(None)),
        ("orders status failed 2", Status(Section.FAILED, 2)),
        ("status in\u2011transit", Status(Section.IN_TRANSIT)),  # non-breaking hyphen
        ("status in\u2014transit 2", Status(Section.IN_TRANSIT, 2)),  # em dash
        ("status on\u2013hold", Status(Section.ON_HOLD)),  # en dash
    ],
)
def test_texts_read_as_a_seller_means_them(text, wanted):
    assert parse(text) == wanted


def test_an_extra_word_after_the_page_is_named_as_the_problem():
    for text, extra in (("status all 2 3", '"3"'), ("status failed page 2 more", '"more"')):
        command = parse(text)
        assert isinstance(command, Invalid) and f"{extra} is more than that" in command.message
    assert 'Unknown section "nowhere 2"' in parse("status nowhere 2").message
