"""`POST /tiktok/webhook` on the production HTTP runner, fed by the TikTok emulator's own signed
pushes (and by hand-made ones), with the real core behind it."""

import logging
import threading
import time

import httpx
from sqlmodel import select

from bot.http_server import start_server
from bot.webhook import RefreshWorker, TikTokWebhook
from storage.models import OrderEvent
from sync import sections
from sync.webhook import sign
from tests.utils.catalog import get_order_calls, unique_skus
from tests.utils.slack_messages import alerts
from tests.utils.webhooks import signed_push

SHOP = "7494726673780148744"  # the emulator's shop id


def status_events(core, order_id: str) -> list[str]:
    order = core.services.engine.order(order_id)
    with core.services.sessions() as session:
        rows = session.exec(
            select(OrderEvent).where(OrderEvent.order_id == order.id, OrderEvent.kind == "status")
        )
        return [row.detail for row in rows]


def point(shops, http_runner) -> str:
    url = f"{http_runner.url}/tiktok/webhook"
    shops.tiktok.webhook_url = url
    return url


def settle(shops, pilot) -> None:
    assert shops.tiktok.wait_for_webhooks(10)
    assert pilot.worker.wait_idle(10)


def test_pushes_bring_in_the_order_and_its_alert_without_a_fetch(
    core, shops, http_runner, pilot, slack_api
):
    point(shops, http_runner)
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]

    settle(shops, pilot)

    assert all(d.status == 200 for d in shops.tiktok.webhook_deliveries)
    order = core.services.engine.order(order_id)
    assert order.placement == "placed" and order.section == "awaiting-shipment"
    (alert,) = alerts(slack_api)
    assert order_id in alert.text
    assert pilot.worker.shop_id == SHOP  # looked up once, off the request path


def test_a_return_push_brings_in_the_request_and_its_alert_without_a_fetch(
    core, shops, http_runner, pilot, slack_api
):
    point(shops, http_runner)
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku], status="IN_TRANSIT")["id"]
    shops.tiktok.deliver(order_id)
    settle(shops, pilot)

    request_id = shops.tiktok.open_return(order_id, "REFUND")["return_id"]  # pushes type 12
    settle(shops, pilot)

    row = core.services.engine.request(request_id)
    assert row.is_open and row.tiktok_order_id == order_id
    assert core.services.engine.order(order_id).return_state == "return_requested"
    assert any(request_id in message.text for message in alerts(slack_api))


def test_a_cancellation_push_brings_in_the_buyers_request(core, shops, http_runner, pilot):
    point(shops, http_runner)
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    settle(shops, pilot)

    cancel_id = shops.tiktok.buyer_cancel(order_id, pending=True)["cancel_id"]  # type 11
    settle(shops, pilot)

    row = core.services.engine.request(cancel_id)
    assert (row.kind, row.is_open, row.tiktok_order_id) == ("cancellation", True, order_id)


def test_duplicate_and_late_pushes_change_nothing_wrongly(
    core, shops, http_runner, pilot, slack_api
):
    point(shops, http_runner)
    shops.tiktok.duplicate_webhooks = True
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    settle(shops, pilot)
    stale_body, stale_headers = signed_push(
        shops.tiktok.app_key,
        shops.tiktok.app_secret,
        {
            "type": 1,
            "shop_id": SHOP,
            "timestamp": int(time.time()),
            "data": {"order_id": order_id, "order_status": "AWAITING_SHIPMENT", "update_time": 1},
        },
    )
    for status in ("AWAITING_COLLECTION", "IN_TRANSIT"):
        shops.tiktok.set_status(order_id, status)
        settle(shops, pilot)

    answer = httpx.post(
        f"{http_runner.url}/tiktok/webhook", content=stale_body, headers=stale_headers
    )
    assert answer.status_code == 200 and answer.json()["queued"] == order_id
    assert pilot.worker.wait_idle(10)

    order = core.services.engine.order(order_id)
    assert order.tiktok_status == sections.IN_TRANSIT and order.section == "in-transit"
    assert status_events(core, order_id) == [
        "AWAITING_SHIPMENT → AWAITING_COLLECTION",
        "AWAITING_COLLECTION → IN_TRANSIT",
    ]
    assert len(shops.tiktok.webhook_deliveries) == 6  # three changes, each pushed twice
    assert len(alerts(slack_api)) == 1


def test_a_bad_signature_gets_401_and_changes_nothing(core, shops, http_runner, pilot):
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]  # not pushed: no URL yet
    assert pilot.worker.wait_idle(10)
    shops.tiktok.reset_calls()
    payload = {"type": 1, "shop_id": SHOP, "timestamp": 1, "data": {"order_id": order_id}}
    for secret in ("not-the-secret", None):
        body, headers = signed_push(shops.tiktok.app_key, secret or "x", payload)
        if secret is None:
            headers.pop("Authorization")
        answer = httpx.post(f"{http_runner.url}/tiktok/webhook", content=body, headers=headers)
        assert answer.status_code == 401
    assert pilot.worker.wait_idle(10)
    assert get_order_calls(shops) == [] and pilot.worker.refreshed == 0
    with core.services.sessions() as session:
        assert session.exec(select(OrderEvent)).first() is None  # the order was never stored


def test_other_types_and_other_shops_get_200_and_are_ignored(
    core, shops, http_runner, pilot, caplog
):
    assert pilot.worker.wait_idle(10)  # the shop id is known
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    shops.tiktok.reset_calls()
    pushes = {
        "return without order": {"type": 12, "shop_id": SHOP, "data": {"return_id": "7"}},
        "deauthorised": {"type": 6, "shop_id": SHOP, "data": {"message": "bye"}},
        "other shop": {"type": 1, "shop_id": "1111", "data": {"order_id": order_id}},
    }
    with caplog.at_level(logging.INFO, logger="bot.webhook"):
        for payload in pushes.values():
            body, headers = signed_push(shops.tiktok.app_key, shops.tiktok.app_secret, payload)
            answer = httpx.post(f"{http_runner.url}/tiktok/webhook", content=body, headers=headers)
            assert answer.status_code == 200 and answer.json()["ignored"]
        garbage = b"{not json"
        headers = {"Authorization": sign(shops.tiktok.app_key, shops.tiktok.app_secret, garbage)}
        answer = httpx.post(f"{http_runner.url}/tiktok/webhook", content=garbage, headers=headers)
        assert answer.status_code == 200 and answer.json()["ignored"] == "unreadable"
    assert pilot.worker.wait_idle(10)
    assert get_order_calls(shops) == []
    assert "unknown shop_id 1111 ignored" in caplog.text


def test_the_answer_does_not_wait_for_tiktok(core, shops):
    """The push is answered while the read it asks for is held: the answer never waits."""
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    let_go = threading.Event()

    def held_read(ids):
        assert let_go.wait(60)
        core.services.engine.refresh_orders(ids)

    worker = RefreshWorker(held_read, shop_id=SHOP).start()
    app_key, app_secret = shops.tiktok.app_key, shops.tiktok.app_secret
    webhook = TikTokWebhook(app_key=app_key, app_secret=app_secret, worker=worker)
    server = start_server(app=None, health=lambda: {"ok": True}, webhook=webhook)
    try:
        body, headers = signed_push(
            app_key,
            app_secret,
            {"type": 11, "shop_id": SHOP, "timestamp": 1, "data": {"order_id": order_id}},
        )
        answer = httpx.post(f"{server.url}/tiktok/webhook", content=body, headers=headers)
        assert answer.status_code == 200 and answer.json()["queued"] == order_id
        assert get_order_calls(shops) == [] and worker.refreshed == 0  # not read yet
        let_go.set()
        assert worker.wait_idle(20)
        assert core.services.engine.order(order_id).placement == "placed"  # read in the background
    finally:
        let_go.set()
        server.stop()
        worker.stop()
