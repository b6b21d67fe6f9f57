"""The demo console's `sandbox …` controls for returns and buyer cancellation requests."""

from orderbot.sandbox_console import sandbox_commands
from tests.utils.catalog import unique_skus


def test_a_return_can_be_opened_sent_back_and_received_from_the_console(core, shops):
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku], status="DELIVERED")["id"]
    answer = sandbox_commands(shops.tiktok)

    assert not answer(f"sandbox receive {order_id}").ok  # nothing to receive yet
    assert answer(f"sandbox return {order_id}").ok
    (opened,) = shops.tiktok.returns()
    assert (opened["order_id"], opened["return_type"]) == (order_id, "RETURN_AND_REFUND")
    assert not answer(f"sandbox send-back {order_id}").ok  # not approved yet

    core.services.engine.fetch()
    core.services.engine.approve_request(opened["return_id"], actor="cli")
    assert answer(f"sandbox send-back {order_id}").ok
    assert answer(f"sandbox receive {order_id}").ok
    core.services.engine.fetch()

    assert core.services.engine.request(opened["return_id"]).received_at is not None


def test_a_buyer_cancellation_request_from_the_console(shops):
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]

    assert sandbox_commands(shops.tiktok)(f"sandbox cancel-request {order_id}").ok

    (request,) = shops.tiktok.cancellations()
    assert request["cancel_status"] == "CANCELLATION_REQUEST_PENDING"
