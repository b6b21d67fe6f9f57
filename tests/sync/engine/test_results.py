"""The stored fetch summary reads back typed, and the App Home shows what the fetch did."""

import json
from datetime import UTC, datetime, timedelta

from commands.context import Actor, Context
from commands.home import home
from storage import queries
from storage.db import transaction
from sync.engine import FetchSummary

START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_a_summary_reads_back_as_it_was_stored():
    summary = FetchSummary(
        started_at=START,
        finished_at=START + timedelta(seconds=42),
        pages=3,
        orders=250,
        new=200,
        updated=50,
        placed=180,
        failed={"sku_unmatched": 2, "insufficient_stock": 1},
        restored=4,
        completed=7,
        error="TikTok unavailable",
        skipped=["5761234"],
    )
    assert FetchSummary.from_json(summary.to_json()) == summary


def test_a_summary_stored_before_a_field_existed_reads_with_its_default():
    stored = json.loads(FetchSummary(started_at=START, placed=5).to_json())
    del stored["skipped"], stored["finished_at"]
    read = FetchSummary.from_json(json.dumps(stored))
    assert (read.placed, read.skipped, read.finished_at) == (5, [], None)


def test_the_app_home_shows_the_last_fetch_from_its_summary(core, shops):
    services = core.services
    summary = FetchSummary(
        started_at=START, finished_at=START, new=12, placed=9, failed={"sku_ambiguous": 3}
    )
    with transaction(services.sessions) as session:
        state = queries.fetch_state(session, shop_id=services.shop_id)
        state.last_finished_at = summary.finished_at
        state.last_summary = summary.to_json()
    reply = home(Context(services=services, actor=Actor(id="U1", is_admin=True)))
    assert "ok; 12 new, 9 placed, 3 failed" in str(reply.blocks)
