"""The ship-by deadline alert and the digest's shipping line (SPEC §4.1), on the real core, the
sandbox TikTok and the Slack sandbox: posted once per order ORDERBOT_SHIP_WARN_HOURS before its
ship-by time with Ship…, kept up to date when it ships, never for an order TikTok ships."""

from datetime import UTC, timedelta

from orderbot.autopilot import build_outbox
from storage import queries
from sync.alerts import AlertRules
from sync.alerts.deadlines import deadline_key
from tests.utils.catalog import unique_skus
from tests.utils.slack_messages import alerts, button_ids, words


def ship_by(core, order_id: str):
    with core.services.sessions() as session:
        order = queries.order_by_tiktok_id(
            session, shop_id=core.services.shop_id, tiktok_order_id=order_id
        )
        return queries.shipping_of(session, order_ids=[order.id])[order.id].ship_by


def deadline_alerts(slack_api) -> list:
    return [a for a in alerts(slack_api) if "Ship order" in words(a)]


def test_one_alert_per_order_once_its_ship_by_time_is_near(core, shops, poster, slack_api):
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    by_tiktok = shops.tiktok.add_order(skus=[sku], shipping_type="TIKTOK")["id"]
    core.services.engine.fetch()
    left = ship_by(core, order_id) - core.services.clock()
    assert left > timedelta(hours=12)  # two business days away

    early = build_outbox(core.services, poster, rules=AlertRules(ship_warn=left / 2))
    early.dispatch()
    assert deadline_alerts(slack_api) == []

    near = AlertRules(ship_warn=left + timedelta(hours=1))
    build_outbox(core.services, poster, rules=near).dispatch()
    build_outbox(core.services, poster, rules=near).dispatch()  # another run, a restart

    (posted,) = deadline_alerts(slack_api)
    text = words(posted)
    assert f"Ship order {order_id} by" in text and "TikTok cancels it" in text
    assert by_tiktok not in text
    assert button_ids(posted)[0] == "order_ship_start"
    with core.services.sessions() as session:
        assert queries.alert_by_key(session, key=deadline_key(order_id)).ts == posted.ts
        assert queries.alert_by_key(session, key=deadline_key(by_tiktok)) is None

    core.services.engine.ship(order_id, "usps", "9400111899223456789051", actor="U0SHIPPER")
    build_outbox(core.services, poster, rules=near).dispatch()
    (updated,) = [a for a in alerts(slack_api) if a.ts == posted.ts]
    assert "Shipped by" in words(updated) and "USPS 9400111899223456789051" in words(updated)
    assert "order_ship_start" not in button_ids(updated)
    # Updated in place; nothing new posted about its deadline.
    about = [a for a in alerts(slack_api) if order_id in words(a) and "New order" not in words(a)]
    assert [a.ts for a in about] == [posted.ts]


def test_the_new_order_alert_offers_ship(core, shops, poster, slack_api):
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    core.services.engine.fetch()
    build_outbox(core.services, poster).dispatch()
    (new,) = [a for a in alerts(slack_api) if f"New order {order_id}" in words(a)]
    assert "order_ship_start" in button_ids(new)


def test_the_digest_says_how_many_are_due_today_and_late(core, shops, poster, slack_api):
    skus = unique_skus(shops, 2)
    first = shops.tiktok.add_order(skus=[skus[0]])["id"]
    shops.tiktok.add_order(skus=[skus[1]])
    core.services.engine.fetch()
    services = core.services
    deadline = ship_by(core, first)  # both were paid in the same second: one ship-by time
    that_morning = deadline.replace(hour=0, minute=0, second=0, microsecond=0)

    assert build_outbox(services, poster).post_digest(now=that_morning, zone=UTC)
    assert build_outbox(services, poster).post_digest(now=deadline + timedelta(days=1), zone=UTC)

    digests = [words(a) for a in alerts(slack_api) if "Daily digest" in words(a)]
    assert "To ship: 2 due today, 0 late" in digests[0]
    assert "To ship: 0 due today, 2 late" in digests[1]
