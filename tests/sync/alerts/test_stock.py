"""Stock push alerts: a push TikTok refused, a TikTok SKU that cannot be matched; each posted
once, and the digest counts the pushes."""

from orderbot.autopilot import build_outbox
from orderbot.compose import build_core
from storage.db import make_engine, migrate
from tests.utils.catalog import unique_skus
from tests.utils.settings import core_settings
from tests.utils.slack_messages import alerts, words


def listing_of(shops, sku: str) -> int:
    (listing_id,) = {lid for (lid, s, _), _q in shops.etsy.quantities().items() if s == sku}
    return listing_id


def test_a_refused_push_and_an_unmatched_sku_are_alerted_once(
    shops, database_url, poster, slack_api
):
    migrate(make_engine(database_url))
    core = build_core(
        core_settings(shops, database_url, ORDERBOT_STOCK_PUSH="on"),
        client_options={"sleep": lambda _s: None},
    )
    try:
        engine, outbox = core.services.engine, build_outbox(core.services, poster)
        engine.fetch()
        shops.tiktok.zero_quantity = "reject"
        (sku,) = unique_skus(shops, 1)
        shops.etsy.set_quantity(listing_of(shops, sku), sku, 0)
        engine.fetch()
        engine.fetch()  # refused again: the same run of failures, no second alert
        outbox.dispatch()
        outbox.dispatch()

        texts = [words(message) for message in alerts(slack_api)]
        refused = [t for t in texts if f"TikTok did not take the stock of {sku}" in t]
        assert len(refused) == 1 and "12052055" in refused[0]
        ghost = [t for t in texts if "TikTok SKU TT-GHOST-1: its stock is not pushed" in t]
        assert len(ghost) == 1 and "on no Etsy listing" in ghost[0]
        assert "/orders stock TT-GHOST-1" in ghost[0]

        outbox.post_digest(now=core.services.clock(), zone=outbox.zone)
        digest = words(alerts(slack_api)[-1])
        assert "Stock pushed to TikTok in the last 24 h: " in digest
        assert "2 pushes failed" in digest
    finally:
        core.close()


def test_with_push_off_no_stock_alert_is_posted(core, shops, poster, slack_api):
    core.services.engine.fetch()
    build_outbox(core.services, poster).dispatch()
    shown = " ".join(words(m) for m in alerts(slack_api))
    assert "stock is not pushed" not in shown and "did not take the stock" not in shown
