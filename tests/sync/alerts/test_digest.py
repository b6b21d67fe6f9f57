"""The daily digest: counts per section, what failed, what waits longest; once per local day."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from orderbot.autopilot import build_outbox
from storage import queries
from tests.utils.catalog import unique_skus
from tests.utils.slack_messages import alerts, words

TOKYO = ZoneInfo("Asia/Tokyo")


def test_the_digest_is_posted_once_per_local_day(core, shops, poster, slack_api):
    (sku,) = unique_skus(shops, 1)
    hour = 3600
    now_s = int(datetime.now(UTC).timestamp())
    oldest = shops.tiktok.add_order(skus=[sku], create_time=now_s - 30 * hour)["id"]
    newer = shops.tiktok.add_order(skus=[sku], create_time=now_s - 2 * hour)["id"]
    failing = shops.tiktok.add_order(skus=["TT-GHOST-1"])["id"]
    core.services.engine.fetch()
    services = core.services
    now = services.clock()

    assert build_outbox(core.services, poster).post_digest(now=now, zone=TOKYO)
    # A second scheduler, a restart: same day, no second digest.
    assert not build_outbox(core.services, poster).post_digest(now=now, zone=TOKYO)

    (digest,) = alerts(slack_api)
    day = now.astimezone(TOKYO).date().isoformat()
    text = words(digest)
    assert f"Daily digest — {day}" in text
    assert "Awaiting Shipment 2" in text and "Failed 1" in text
    assert "Failed: 1 (SKU not on Etsy 1)" in text and failing in text
    assert "Waiting longest for shipment" in text
    assert text.index(oldest) < text.index(newer)  # oldest first
    assert "1 d 5 h" in text  # how long the oldest has waited since it was paid
    with services.sessions() as session:
        row = queries.alert_by_key(session, key=f"digest:{day}")
    assert row.state == "posted" and row.ts == digest.ts


def test_a_new_local_day_gets_a_new_digest(core, poster, slack_api):
    today = datetime(2026, 5, 4, 14, 59, tzinfo=UTC)  # 23:59 in Tokyo
    outbox = build_outbox(core.services, poster)

    def post(now):
        return outbox.post_digest(now=now, zone=TOKYO)

    assert post(today)
    assert not post(today + timedelta(seconds=30))  # still the 4th in Tokyo
    assert post(today + timedelta(minutes=2))  # the 5th there, though still the 4th in UTC
    days = [m.text.split(":")[0] for m in alerts(slack_api)]
    assert days == ["Daily digest 2026-05-04", "Daily digest 2026-05-05"]
