"""What the demo seeds fills every section once orderbot has fetched it."""

from commands import views
from storage import queries
from sync.sections import Section


def test_the_demo_seed_fills_every_section_and_has_a_tiktok_fulfilled_order(core, shops):
    later = shops.seed_demo(0)  # the showcase alone
    engine = core.services.engine
    engine.fetch()
    shops.play_later(later)  # a buyer cancels a placed order; a parcel is lost
    engine.refresh_orders(list(later))

    with core.services.sessions() as session:
        counts = queries.section_counts(session, shop_id=core.services.shop_id)
        orders = queries.page_of_orders(
            session, shop_id=core.services.shop_id, section=None, page=1, page_size=100
        )
    assert {section.value for section in Section} <= {s for s, n in counts.items() if n}
    assert any(views.fulfilled_by(order) == "TikTok" for order in orders)
    restored = [o for o in orders if o.tiktok_order_id in later and o.placement == "restored"]
    lost = [o for o in orders if o.failure_reason == "package_lost"]
    assert len(restored) == 1 and len(lost) == 1 and lost[0].placement == "placed"
