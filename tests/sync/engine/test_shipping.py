"""Shipping from orderbot end to end against the sandbox TikTok (SPEC §4.1): carriers, refusals,
exactly once, the one correction within 72 hours, split shipping and the carrier scan."""

import threading
from datetime import UTC, datetime, timedelta

import pytest

from orderbot.compose import build_core
from storage import queries
from storage.db import make_engine, migrate
from sync.engine import EngineError, OrderNotFound, ShipRefused
from sync.errors import Unavailable
from tests.utils.catalog import unique_skus
from tests.utils.settings import core_settings

USPS_NUMBER = "9400111899223456789012"  # fits USPS only
UPS_NUMBER = "1Z999AA10123456784"
SHARED_NUMBER = "9200190123456789012345"  # fits USPS and UPS Mail Innovations


class Shifted:
    """The core's clock: real time moved on by `offset` (the sandbox's clock moves with it)."""

    def __init__(self, shops):
        self.shops = shops
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta
        self.shops.clock.advance(delta.total_seconds())


@pytest.fixture
def clock(shops):
    return Shifted(shops)


@pytest.fixture
def engine(shops, database_url, clock):
    migrate(make_engine(database_url))
    core = build_core(
        core_settings(shops, database_url), clock=clock, client_options={"sleep": lambda _s: None}
    )
    yield core.services.engine
    core.close()


def fetched(engine, shops, **order) -> str:
    order.setdefault("skus", unique_skus(shops, 1))
    order_id = shops.tiktok.add_order(**order)["id"]
    engine.fetch()
    return order_id


def writes(shops) -> list:
    return [c for c in shops.tiktok.calls if c.method == "POST" and "/fulfillment/" in c.path]


def history(engine, order_id: str) -> list[tuple[str, str, str]]:
    with engine.sessions() as session:
        order = queries.order_by_tiktok_id(
            session, shop_id=engine.shop_id, tiktok_order_id=order_id
        )
        return [(e.kind, e.actor, e.detail) for e in queries.events_of(session, order_id=order.id)]


def test_ship_sends_the_tracking_once_and_moves_the_order_at_once(engine, shops):
    order_id = fetched(engine, shops)
    with engine.sessions() as session:
        order = engine.order(order_id)
        facts = queries.shipping_of(session, order_ids=[order.id])[order.id]
    assert facts.shipping_type == "SELLER" and facts.ship_by and facts.auto_cancel_at
    assert facts.ship_by < facts.auto_cancel_at

    done = engine.ship(order_id, "usps", USPS_NUMBER, actor="U0SHIPPER")

    assert (done.how, done.provider_name, done.warning) == ("shipped", "USPS", None)
    assert done.order.section == "awaiting-collection"
    assert shops.tiktok.order(order_id)["status"] == "AWAITING_COLLECTION"
    assert shops.tiktok.order(order_id)["tracking_number"] == USPS_NUMBER
    kind, actor, detail = history(engine, order_id)[0]
    assert (kind, actor) == ("shipped", "U0SHIPPER") and "USPS" in detail and USPS_NUMBER in detail

    shops.tiktok.reset_calls()
    again = engine.ship(order_id, "USPS", USPS_NUMBER, actor="U0SHIPPER")  # a double click
    assert again.how == "already" and writes(shops) == []

    engine.fetch()  # TikTok's own view agrees; then the carrier scans it
    assert engine.order(order_id).section == "awaiting-collection"
    shops.tiktok.carrier_scan(order_id)
    engine.fetch()
    assert engine.order(order_id).section == "in-transit"


def test_carriers_exact_names_win_over_prefixes_and_bad_ones_list_them(engine, shops):
    order_id = fetched(engine, shops)
    for typed in ("nope", "fedexx", "u"):
        shops.tiktok.reset_calls()
        with pytest.raises(ShipRefused) as refused:
            engine.ship(order_id, typed, UPS_NUMBER, actor="U0SHIPPER")
        assert "Carriers: USPS, UPS, UPS Mail Innovations, FedEx" in str(refused.value)
        assert writes(shops) == []
    with pytest.raises(ShipRefused, match="several"):
        engine.ship(order_id, "u", UPS_NUMBER, actor="U0SHIPPER")
    done = engine.ship(order_id, "ups", UPS_NUMBER, actor="U0SHIPPER")
    assert done.provider_name == "UPS"


def test_a_prefix_that_fits_one_carrier_is_that_carrier(engine, shops):
    for typed, name, number in (
        ("ups-mail", "UPS Mail Innovations", SHARED_NUMBER),
        ("dhl", "DHL eCommerce", "GM1234567890123456"),
    ):
        order_id = fetched(engine, shops)
        assert engine.ship(order_id, typed, number, actor="U0SHIPPER").provider_name == name


def test_tiktoks_warning_is_kept_and_shown(engine, shops):
    order_id = fetched(engine, shops)
    done = engine.ship(order_id, "usps", SHARED_NUMBER, actor="U0SHIPPER")
    assert done.warning == "match more than one provider"
    assert "match more than one provider" in history(engine, order_id)[0][2]


@pytest.mark.parametrize(
    ("tracking", "why"),
    [("", "empty"), ("9" * 41, "41 characters"), ("9400-1118", "letters and digits")],
)
def test_bad_tracking_numbers_send_nothing(engine, shops, tracking, why):
    order_id = fetched(engine, shops)
    shops.tiktok.reset_calls()
    with pytest.raises(ShipRefused, match=why):
        engine.ship(order_id, "usps", tracking, actor="U0SHIPPER")
    assert writes(shops) == []
    assert engine.order(order_id).section == "awaiting-shipment"


def test_orders_that_cannot_ship_from_here_are_refused_before_tiktok(engine, shops):
    on_hold = fetched(engine, shops, status="ON_HOLD")
    by_tiktok = fetched(engine, shops, shipping_type="TIKTOK")
    fbt = fetched(engine, shops, fulfillment_type="FULFILLMENT_BY_TIKTOK")
    cancelled = fetched(engine, shops)
    shops.tiktok.buyer_cancel(cancelled)
    engine.fetch()
    shops.tiktok.reset_calls()
    for order_id, why in (
        (on_hold, "on hold"),
        (by_tiktok, "shipped by TikTok"),
        (fbt, "shipped by TikTok"),
        (cancelled, "cancelled"),
    ):
        with pytest.raises(ShipRefused, match=why):
            engine.ship(order_id, "usps", USPS_NUMBER, actor="U0SHIPPER")
    with pytest.raises(OrderNotFound):
        engine.ship("576469999999999999", "usps", USPS_NUMBER, actor="U0SHIPPER")
    asked = [c.path for c in shops.tiktok.calls]
    assert [p for p in asked if "/fulfillment/" in p or "/logistics/" in p] == []


def test_one_correction_within_72_hours_and_never_for_the_same_tracking(engine, shops, clock):
    order_id = fetched(engine, shops)
    engine.ship(order_id, "usps", SHARED_NUMBER, actor="U0SHIPPER")
    shops.tiktok.reset_calls()

    same = engine.ship(order_id, "usps", SHARED_NUMBER, actor="U0SHIPPER")
    assert same.how == "already" and writes(shops) == []

    fixed = engine.ship(order_id, "usps", USPS_NUMBER, actor="U0ADMIN")
    assert fixed.how == "corrected"
    assert shops.tiktok.order(order_id)["tracking_number"] == USPS_NUMBER
    assert history(engine, order_id)[0][:2] == ("tracking_corrected", "U0ADMIN")

    shops.tiktok.reset_calls()
    with pytest.raises(ShipRefused, match="one tracking correction already"):
        engine.ship(order_id, "ups", UPS_NUMBER, actor="U0ADMIN")
    assert writes(shops) == []


def test_past_72_hours_no_correction_is_sent(engine, shops, clock):
    order_id = fetched(engine, shops)
    engine.ship(order_id, "usps", SHARED_NUMBER, actor="U0SHIPPER")
    clock.advance(timedelta(hours=73))
    shops.tiktok.reset_calls()
    with pytest.raises(ShipRefused, match="more than 72 hours ago"):
        engine.ship(order_id, "usps", USPS_NUMBER, actor="U0SHIPPER")
    assert writes(shops) == []


def test_split_shipping_ships_some_items_then_the_rest(engine, shops):
    a, b = unique_skus(shops, 2)
    order_id = fetched(engine, shops, skus=[a, b])
    plan = engine.ship_plan(order_id)
    assert len(plan.lines) == 2 and not plan.correcting
    first = plan.lines[0].tiktok_line_id

    part = engine.ship(order_id, "usps", USPS_NUMBER, line_ids=[first], actor="U0SHIPPER")
    assert part.how == "partly_shipped" and part.items == 1
    assert part.order.section == "in-transit" and part.order.partial  # SPEC §2: marked partial
    assert shops.tiktok.order(order_id)["status"] == "PARTIALLY_SHIPPING"
    assert [line.tiktok_line_id for line in engine.ship_plan(order_id).lines] != [first]
    with pytest.raises(ShipRefused, match="shipped already"):
        engine.ship(order_id, "ups", UPS_NUMBER, line_ids=[first], actor="U0SHIPPER")
    with pytest.raises(ShipRefused, match="no line item"):
        engine.ship(order_id, "ups", UPS_NUMBER, line_ids=["123"], actor="U0SHIPPER")

    rest = engine.ship(order_id, "ups", UPS_NUMBER, actor="U0SHIPPER")
    assert rest.how == "shipped" and rest.order.section == "awaiting-collection"
    assert shops.tiktok.order(order_id)["status"] == "AWAITING_COLLECTION"


def test_a_lost_answer_is_settled_from_tiktok_and_never_ships_twice(
    engine, shops, clock, monkeypatch
):
    order_id = fetched(engine, shops)
    tiktok = engine.ctx.tiktok
    ship_for_real = tiktok.mark_shipped

    def shipped_but_lost(*args, **kwargs):  # TikTok ships; its answer never arrives
        ship_for_real(*args, **kwargs)
        raise Unavailable("tiktok", "mark_shipped: timed out")

    def unreadable(_ids):
        raise Unavailable("tiktok", "get_orders: timed out")

    monkeypatch.setattr(tiktok, "mark_shipped", shipped_but_lost)
    monkeypatch.setattr(tiktok, "get_orders", unreadable)
    with pytest.raises(EngineError, match="not known yet"):
        engine.ship(order_id, "usps", USPS_NUMBER, actor="U0SHIPPER")
    monkeypatch.undo()
    assert shops.tiktok.order(order_id)["status"] == "AWAITING_COLLECTION"
    assert engine.order(order_id).section == "awaiting-shipment"  # not known here yet

    shops.tiktok.reset_calls()
    with pytest.raises(ShipRefused, match="being shipped already"):  # still within its grace
        engine.ship(order_id, "usps", USPS_NUMBER, actor="U0SHIPPER")
    clock.advance(timedelta(minutes=3))
    again = engine.ship(order_id, "usps", USPS_NUMBER, actor="U0SHIPPER")
    assert again.how == "already" and again.order.section == "awaiting-collection"
    assert writes(shops) == []
    assert [kind for kind, _, _ in history(engine, order_id)].count("shipped") == 1


def test_a_refused_ship_frees_the_order_to_ship_again(engine, shops):
    order_id = fetched(engine, shops)
    shops.tiktok.set_status(order_id, "ON_HOLD")  # TikTok holds it before orderbot knows
    with pytest.raises(ShipRefused, match="TikTok refused"):
        engine.ship(order_id, "usps", USPS_NUMBER, actor="U0SHIPPER")
    assert history(engine, order_id)[0][0] == "ship_refused"
    shops.tiktok.set_status(order_id, "AWAITING_SHIPMENT")
    assert engine.ship(order_id, "usps", USPS_NUMBER, actor="U0SHIPPER").how == "shipped"


def test_an_answer_lost_before_tiktok_acted_frees_the_order(engine, shops, monkeypatch):
    order_id = fetched(engine, shops)

    def lost(*args, **kwargs):
        raise Unavailable("tiktok", "mark_shipped: connection failed")

    monkeypatch.setattr(engine.ctx.tiktok, "mark_shipped", lost)
    with pytest.raises(EngineError, match="it is not shipped"):
        engine.ship(order_id, "usps", USPS_NUMBER, actor="U0SHIPPER")
    monkeypatch.undo()
    assert engine.ship(order_id, "usps", USPS_NUMBER, actor="U0SHIPPER").how == "shipped"


def test_two_clicks_at_once_ship_once(engine, shops):
    order_id = fetched(engine, shops)
    shops.tiktok.reset_calls()
    outcomes: list = []

    def click():
        try:
            outcomes.append(engine.ship(order_id, "usps", USPS_NUMBER, actor="U0SHIPPER").how)
        except ShipRefused as refused:
            outcomes.append(str(refused))

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()
    assert len(outcomes) == 2 and outcomes.count("shipped") == 1
    other = next(o for o in outcomes if o != "shipped")
    assert other == "already" or "being shipped already" in other
    assert len([c for c in writes(shops) if c.path.endswith("/packages")]) == 1
    assert [kind for kind, _, _ in history(engine, order_id)].count("shipped") == 1


def test_the_refresh_job_settles_a_ship_whose_answer_was_lost(engine, shops, clock, monkeypatch):
    shipped, not_shipped = fetched(engine, shops), fetched(engine, shops)
    tiktok = engine.ctx.tiktok
    ship_for_real = tiktok.mark_shipped

    def lost(order_id, **kwargs):  # the first reaches TikTok; the second never does
        if order_id == shipped:
            ship_for_real(order_id, **kwargs)
        raise Unavailable("tiktok", "mark_shipped: timed out")

    def unreadable(_ids):
        raise Unavailable("tiktok", "get_orders: timed out")

    monkeypatch.setattr(tiktok, "mark_shipped", lost)
    monkeypatch.setattr(tiktok, "get_orders", unreadable)
    for order_id, number in ((shipped, USPS_NUMBER), (not_shipped, UPS_NUMBER)):
        with pytest.raises(EngineError, match="not known yet"):
            engine.ship(order_id, "usps" if number == USPS_NUMBER else "ups", number, actor="U0S")
    monkeypatch.undo()

    assert engine.settle_ship_claims() == 0  # within the grace: maybe still under way
    clock.advance(timedelta(minutes=3))
    assert engine.settle_ship_claims() == 2
    assert engine.order(shipped).section == "awaiting-collection"
    assert [k for k, _, _ in history(engine, shipped)].count("shipped") == 1
    assert engine.order(not_shipped).section == "awaiting-shipment"
    assert history(engine, not_shipped)[0][0] == "ship_failed"
    assert engine.settle_ship_claims() == 0  # nothing left pending
    assert engine.ship(not_shipped, "ups", UPS_NUMBER, actor="U0S").how == "shipped"
