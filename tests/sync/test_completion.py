"""The 14-day completion is decided once, at the `now` the sweep is given."""

import time
from datetime import timedelta

from storage import queries
from sync import lifecycle
from sync.clock import from_unix


def test_the_sweep_completes_what_is_due_at_its_own_now_not_the_engines_clock(core, shops):
    engine = core.services.engine  # its clock is the real one: the order is a minute old
    sku = shops.catalog.cases["unique"][0]
    order_id = shops.tiktok.add_order(skus=[sku], status="IN_TRANSIT")["id"]
    delivered = int(time.time()) - 60
    shops.tiktok.deliver(order_id, delivered)
    engine.fetch()
    now = from_unix(delivered) + timedelta(days=14)

    report = lifecycle.sweep(engine, now=now)

    assert (report.due, report.completed) == (1, 1)
    done = engine.order(order_id)
    assert (done.section, done.completed_at) == ("completed", now)
    with core.services.sessions() as session:
        assert queries.section_counts(session, shop_id=engine.shop_id) == (
            queries.recount_sections(session, shop_id=engine.shop_id)
        )
