"""Review finding 2 with a real kill: `orderbot exec "/orders cancel …"` is killed (SIGKILL)
while it waits out TikTok's 429 (Retry-After 60 s). Its claim keeps refusing other cancels
while a cancel could still be under way; once the clock is past the longest a cancel can take,
the next request settles the claim from TikTok and cancels the order, once."""

import signal
import subprocess
import time
from datetime import timedelta

from commands.context import Actor, Context
from commands.execute import execute
from commands.types import Cancel
from orderbot.compose import build_core
from storage import queries
from sync.clock import utc_now
from sync.engine.cancel_claims import CANCEL_CLAIM_EXPIRES_AFTER
from tests.utils.catalog import stock
from tests.utils.processes import BIN
from tests.utils.settings import core_settings, settings_environment

CANCEL_PATH = "/return_refund/202309/cancellations"
WITHIN_S = 60


def cancel_calls(shops, status: int) -> int:
    return sum(1 for c in shops.tiktok.calls if c.path == CANCEL_PATH and c.status == status)


def stored(core, order_id: str):
    services = core.services
    with services.sessions() as session:
        order = queries.order_by_tiktok_id(
            session, shop_id=services.shop_id, tiktok_order_id=order_id
        )
        events = sorted(queries.events_of(session, order_id=order.id), key=lambda e: e.id)
    return order, [(e.kind, e.actor) for e in events if e.kind.startswith("cancel")]


def test_a_cancel_killed_mid_call_is_settled_and_cancelled_once(shops, database_url, db, tmp_path):
    # `db`: the schema, migrated as `orderbot db upgrade` does
    # With the cipher set, the cancel itself is the process's first TikTok call.
    settings = core_settings(shops, database_url, TIKTOK_SHOP_CIPHER=shops.tiktok.shop.cipher)
    core = build_core(settings, client_options={"sleep": lambda _s: None})
    sku = next(s for s in shops.catalog.cases["unique"] if stock(shops, s) >= 3)
    before = stock(shops, sku)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    assert core.services.engine.fetch().placed == 1
    core.close()

    shops.tiktok.faults.update(burst_429=1, retry_after_s=60)
    process = subprocess.Popen(
        [str(BIN), "exec", f"/orders cancel {order_id} out of stock"],
        env=settings_environment(settings),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + WITHIN_S
    while not cancel_calls(shops, 429):
        assert process.poll() is None, process.stdout.read().decode()
        assert time.monotonic() < deadline, "the cancel never reached TikTok"
        time.sleep(0.01)  # polling for the 429 with a deadline
    assert process.poll() is None  # waiting out the Retry-After
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=WITHIN_S)
    process.stdout.close()

    core = build_core(settings, client_options={"sleep": lambda _s: None})
    try:
        order, history = stored(core, order_id)
        assert order.cancel_requested_by == "cli" and order.tiktok_status == "AWAITING_SHIPMENT"
        assert shops.tiktok.order(order_id)["status"] == "AWAITING_SHIPMENT"
        operator = Actor("cli", is_admin=True, trusted=True)
        refused = execute(Cancel(order_id, "out of stock"), Context(core.services, operator))
        assert not refused.ok and "already being cancelled" in refused.text
    finally:
        core.close()

    # The clocks move past the longest a cancel can take (TikTok checks request times).
    later = CANCEL_CLAIM_EXPIRES_AFTER + timedelta(minutes=1)
    shops.clock.advance(later.total_seconds())
    core = build_core(
        settings, clock=lambda: utc_now() + later, client_options={"sleep": lambda _s: None}
    )
    try:
        done = execute(Cancel(order_id, "out of stock"), Context(core.services, operator))
        assert done.ok, done.text
        order, history = stored(core, order_id)
    finally:
        core.close()
    assert shops.tiktok.order(order_id)["status"] == "CANCELLED"
    assert (cancel_calls(shops, 429), cancel_calls(shops, 200)) == (1, 1)
    assert history == [
        ("cancel_requested", "cli"),
        ("cancel_failed", "orderbot"),  # the killed request, released
        ("cancel_requested", "cli"),
        ("cancelled", "cli"),
    ]
    assert (order.section, order.placement) == ("cancelled", "restored")
    assert stock(shops, sku) == before
