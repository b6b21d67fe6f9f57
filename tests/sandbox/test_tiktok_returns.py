"""The TikTok emulator's returns, refunds and buyer cancellation requests (§17)."""

import httpx
import pytest

from sandbox.tiktok import TikTokSandbox
from tests.utils.tiktok_signed import Client, next_push

SEARCH = "/return_refund/202309/returns/search"
APPROVE = "/return_refund/202309/returns/{}/approve"
REJECT = "/return_refund/202309/returns/{}/reject"
REASONS = "/return_refund/202309/reject_reasons"
CANCELS = "/return_refund/202309/cancellations/search"
APPROVE_CANCEL = "/return_refund/202309/cancellations/{}/approve"
REJECT_CANCEL = "/return_refund/202309/cancellations/{}/reject"
UPDATE = "/fulfillment/202309/orders/{}/shipping_info/update"
HOUR = 3600


@pytest.fixture
def sandbox():
    with TikTokSandbox() as running:
        yield running


@pytest.fixture
def client(sandbox):
    client = Client(sandbox, sandbox.issue_tokens()["access_token"])
    yield client
    client.http.close()


def code(response: httpx.Response) -> int:
    return response.json()["code"]


def delivered(sandbox: TikTokSandbox, skus=("MUG-BLK-11",), **extra) -> dict:
    return sandbox.add_order(skus=list(skus), status="DELIVERED", **extra)


def search(client: Client, body: dict | None = None, **query) -> dict:
    return client.ok("POST", SEARCH, {"page_size": "10", **query}, body or {})


def answer(client: Client, path: str, return_id: str, body: dict, key: str | None = None):
    query = {"idempotency_key": key} if key else {}
    return client.call("POST", path.format(return_id), query, body)


def the_return(client: Client, return_id: str) -> dict:
    (found,) = search(client, {"return_ids": [return_id]})["return_orders"]
    return found


def test_an_opened_request_shows_in_search_with_its_deadline_not_in_the_order(client, sandbox):
    order = delivered(sandbox, ["MUG-BLK-11", "TOTE-NAT"])
    opened = sandbox.open_return(order["id"], "REFUND")
    found = the_return(client, opened["return_id"])
    assert (found["return_type"], found["return_status"]) == (
        "REFUND",
        "RETURN_OR_REFUND_REQUEST_PENDING",
    )
    (action,) = found["seller_next_action_response"]
    deadline = found["create_time"] + 48 * HOUR
    assert action == {"action": "SELLER_RESPOND_REFUND", "deadline": deadline}
    assert found["refund_amount"]["refund_total"] == order["payment"]["total_amount"]
    assert {line["order_line_item_id"] for line in found["return_line_items"]} == {
        item["id"] for item in order["line_items"]
    }
    assert sandbox.order(order["id"])["update_time"] == order["update_time"]


def test_search_returns_pages_by_update_time(client, sandbox):
    opened = [sandbox.open_return(delivered(sandbox)["id"], "REFUND") for _ in range(12)]
    sandbox.clock.advance(10)
    later = sandbox.open_return(delivered(sandbox)["id"], "REFUND")
    assert code(client.call("POST", SEARCH, {"page_size": "5"}, {})) == 25001001
    first = search(client, sort_field="update_time")
    assert first["total_count"] == 13 and len(first["return_orders"]) == 10
    query = {"sort_field": "update_time", "page_token": first["next_page_token"]}
    rest = search(client, **query)
    ids = [r["return_id"] for r in first["return_orders"] + rest["return_orders"]]
    assert ids == [r["return_id"] for r in opened] + [later["return_id"]]
    assert rest["next_page_token"] == ""
    newer = search(client, {"update_time_ge": later["update_time"]})["return_orders"]
    assert [r["return_id"] for r in newer] == [later["return_id"]]
    assert code(client.call("POST", SEARCH, {}, {"return_types": ["NOPE"]})) == 25001001


def test_approving_a_full_refund_completes_the_order_and_pushes(client, sandbox, receiver):
    url, received, _ = receiver
    order = delivered(sandbox)
    opened = sandbox.open_return(order["id"], "REFUND")
    sandbox.webhook_url = url
    assert code(answer(client, APPROVE, opened["return_id"], {"decision": "APPROVE_REFUND"})) == 0
    pushes = [next_push(received, sandbox.app_key, sandbox.app_secret) for _ in range(3)]
    assert [(p["type"], p["data"].get("return_status")) for p in pushes] == [
        (12, "RETURN_OR_REFUND_REQUEST_SUCCESS"),
        (12, "RETURN_OR_REFUND_REQUEST_COMPLETE"),
        (1, None),
    ]
    assert pushes[0]["data"]["return_role"] == "SELLER"
    assert pushes[2]["data"]["order_status"] == "COMPLETED"
    assert sandbox.order(order["id"])["status"] == "COMPLETED"


def test_a_partial_refund_leaves_the_order_delivered(client, sandbox):
    order = delivered(sandbox, ["MUG-BLK-11", "TOTE-NAT"])
    first = order["line_items"][0]["id"]
    opened = sandbox.open_return(order["id"], "REFUND", [first])
    assert code(answer(client, APPROVE, opened["return_id"], {"decision": "APPROVE_REFUND"})) == 0
    assert the_return(client, opened["return_id"])["return_status"] == (
        "RETURN_OR_REFUND_REQUEST_COMPLETE"
    )
    assert sandbox.order(order["id"])["status"] == "DELIVERED"


def test_a_return_goes_back_to_the_seller_before_the_refund(client, sandbox):
    order = delivered(sandbox)
    return_id = sandbox.open_return(order["id"])["return_id"]
    received = {"decision": "APPROVE_RECEIVED_PACKAGE"}
    assert code(answer(client, APPROVE, return_id, {"decision": "APPROVE_REFUND"})) == 25020004
    assert code(answer(client, APPROVE, return_id, {"decision": "APPROVE_RETURN"})) == 0
    assert the_return(client, return_id)["return_status"] == "AWAITING_BUYER_SHIP"
    assert code(answer(client, APPROVE, return_id, received)) == 25011012
    sandbox.return_shipped(return_id)
    assert code(answer(client, APPROVE, return_id, received)) == 25011013
    sandbox.return_received(return_id)
    waiting = the_return(client, return_id)
    assert waiting["return_status"] == "BUYER_SHIPPED_ITEM" and waiting["return_tracking_number"]
    (action,) = waiting["seller_next_action_response"]
    assert action["action"] == "SELLER_RESPOND_RECEIVE_PACKAGE"
    assert code(answer(client, APPROVE, return_id, received)) == 0
    assert the_return(client, return_id)["return_status"] == "RETURN_OR_REFUND_REQUEST_COMPLETE"
    assert sandbox.order(order["id"])["status"] == "COMPLETED"


def test_an_idempotency_key_answers_once_and_only_its_own_request(client, sandbox, receiver):
    url, received, _ = receiver
    first = sandbox.open_return(delivered(sandbox)["id"], "REFUND")["return_id"]
    second = sandbox.open_return(delivered(sandbox)["id"], "REFUND")["return_id"]
    approve = {"decision": "APPROVE_REFUND"}
    sandbox.webhook_url = url
    assert code(answer(client, APPROVE, first, approve, key="key-1")) == 0
    assert sandbox.wait_for_webhooks(5)
    pushed = len(sandbox.webhook_deliveries)
    repeat = answer(client, APPROVE, first, approve, key="key-1")
    assert (repeat.json()["code"], repeat.json()["data"]) == (0, {})
    assert sandbox.wait_for_webhooks(5) and len(sandbox.webhook_deliveries) == pushed
    assert code(answer(client, APPROVE, second, approve, key="key-1")) == 25001001
    assert the_return(client, second)["return_status"] == "RETURN_OR_REFUND_REQUEST_PENDING"
    assert code(answer(client, APPROVE, first, approve, key="key-2")) == 25011012
    rejected = {"decision": "REJECT_REFUND", "reject_reason": "seller_reject_apply_item_is_correct"}
    assert code(answer(client, REJECT, first, rejected, key="key-3")) == 25020010
    assert code(answer(client, APPROVE, second, approve, key="k" * 256)) == 25001001


def test_reject_reasons_fit_the_request_and_its_stage(client, sandbox):
    order = delivered(sandbox)
    return_id = sandbox.open_return(order["id"])["return_id"]
    listed = client.ok("GET", REASONS, {"return_or_cancel_id": return_id})["reasons"]
    names = {reason["name"] for reason in listed}
    assert "reverse_reject_request_reason_4" in names
    assert "reverse_reject_request_reason_1" not in names  # removed for returns in 2024
    assert all(reason["text"] for reason in listed)

    def reject(reason):
        body = {"decision": "REJECT_RETURN", "reject_reason": reason}
        return code(answer(client, REJECT, return_id, body))

    assert reject("reverse_reject_request_reason_1") == 25001020
    assert reject("no_such_reason") == 25001014
    assert reject("reverse_reject_return_parcel_reason_1") == 25001016
    assert code(answer(client, REJECT, return_id, {"decision": "REJECT_RETURN"})) == 25001001
    assert reject("seller_reject_apply_item_is_correct") == 0
    assert the_return(client, return_id)["return_status"] == "REFUND_OR_RETURN_REQUEST_REJECT"

    refund_id = sandbox.open_return(delivered(sandbox)["id"], "REFUND")["return_id"]
    refund_reasons = client.ok("GET", REASONS, {"return_or_cancel_id": refund_id})["reasons"]
    assert "reverse_reject_request_reason_1" in {reason["name"] for reason in refund_reasons}
    unknown = client.call("GET", REASONS, {"return_or_cancel_id": "4035560000000099999"})
    assert code(unknown) == 25001001


def test_tiktok_approves_what_the_seller_leaves_unanswered(client, sandbox, receiver):
    url, received, _ = receiver
    refund = sandbox.open_return(delivered(sandbox)["id"], "REFUND")["return_id"]
    replacement = sandbox.open_return(delivered(sandbox)["id"], "REPLACEMENT")["return_id"]
    sandbox.webhook_url = url
    sandbox.clock.advance(48 * HOUR - 1)
    assert the_return(client, refund)["return_status"] == "RETURN_OR_REFUND_REQUEST_PENDING"
    sandbox.clock.advance(1)
    assert the_return(client, refund)["return_status"] == "RETURN_OR_REFUND_REQUEST_COMPLETE"
    push = next_push(received, sandbox.app_key, sandbox.app_secret)
    assert (push["data"]["return_status"], push["data"]["return_role"]) == (
        "RETURN_OR_REFUND_REQUEST_SUCCESS",
        "SYSTEM",
    )
    assert the_return(client, replacement)["return_status"] == "REPLACEMENT_REQUEST_PENDING"


def test_an_open_request_keeps_a_delivered_order_from_completing(client, sandbox):
    order = delivered(sandbox)
    return_id = sandbox.open_return(order["id"])["return_id"]
    sandbox.clock.advance(16 * 86400)
    sandbox.tick()  # the request stays open: TikTok moved it on to the buyer
    (still_open,) = sandbox.returns()
    assert still_open["return_status"] == "AWAITING_BUYER_SHIP"
    assert sandbox.order(order["id"])["status"] == "DELIVERED"
    sandbox.withdraw_return(return_id)
    sandbox.tick()
    assert sandbox.order(order["id"])["status"] == "COMPLETED"


def test_a_pending_buyer_cancellation_is_found_and_approved_once(client, sandbox):
    order_id = sandbox.add_order(skus=["MUG-BLK-11"])["id"]
    cancel_id = sandbox.buyer_cancel(order_id, pending=True)["cancel_id"]
    body = {"cancel_types": ["BUYER_CANCEL"], "cancel_status": ["CANCELLATION_REQUEST_PENDING"]}
    (found,) = client.ok("POST", CANCELS, {}, body)["cancellations"]
    assert found["cancel_id"] == cancel_id
    assert found["seller_next_action_response"][0]["action"] == "SELLER_RESPOND_CANCEL"
    assert code(answer(client, APPROVE_CANCEL, cancel_id, {}, key="c-1")) == 0
    cancelled = sandbox.order(order_id)
    assert (cancelled["status"], cancelled["cancellation_initiator"]) == ("CANCELLED", "BUYER")
    assert code(answer(client, APPROVE_CANCEL, cancel_id, {}, key="c-1")) == 0
    assert code(answer(client, APPROVE_CANCEL, cancel_id, {}, key="c-2")) == 25020009
    assert len(sandbox.cancellations()) == 1


def test_a_buyer_cancellation_can_be_rejected_or_runs_out(client, sandbox):
    kept = sandbox.add_order(skus=["MUG-BLK-11"])["id"]
    kept_request = sandbox.buyer_cancel(kept, pending=True)["cancel_id"]
    reasons = client.ok("GET", REASONS, {"return_or_cancel_id": kept_request})["reasons"]
    reason = reasons[0]["name"]
    assert reason.startswith("order_manage_list_action_respond_popup_reject_reason")
    wrong = {"reject_reason": "seller_reject_apply_item_is_correct"}
    assert code(answer(client, REJECT_CANCEL, kept_request, wrong)) == 25001016
    assert code(answer(client, REJECT_CANCEL, kept_request, {"reject_reason": reason})) == 0
    assert sandbox.order(kept)["is_buyer_request_cancel"] is False
    assert code(answer(client, APPROVE_CANCEL, kept_request, {})) == 25011012
    assert sandbox.order(kept)["status"] == "AWAITING_SHIPMENT"

    left = sandbox.add_order(skus=["MUG-BLK-11"])["id"]
    sandbox.buyer_cancel(left, pending=True)
    sandbox.clock.advance(48 * HOUR)
    sandbox.tick()
    assert sandbox.order(left)["status"] == "CANCELLED"


def test_tracking_cannot_change_while_a_refund_is_open(client, sandbox):
    order_id = sandbox.add_order(skus=["MUG-BLK-11"], status="AWAITING_COLLECTION")["id"]
    sandbox.open_return(order_id, "REFUND")
    body = {"tracking_number": "1Z999AA10123456784", "shipping_provider_id": "6617675021119438850"}
    assert code(client.call("POST", UPDATE.format(order_id), body=body)) == 21011007


def test_orders_fulfilled_by_tiktok_are_not_the_sellers_to_answer(client, sandbox):
    order = delivered(sandbox, fulfillment_type="FULFILLMENT_BY_TIKTOK")
    return_id = sandbox.open_return(order["id"], "REFUND")["return_id"]
    assert code(answer(client, APPROVE, return_id, {"decision": "APPROVE_REFUND"})) == 25011026


def test_after_sales_calls_are_signed_and_shop_scoped(client, sandbox):
    return_id = sandbox.open_return(delivered(sandbox)["id"], "REFUND")["return_id"]
    body = {"decision": "APPROVE_REFUND"}
    forged = client.call("POST", APPROVE.format(return_id), body=body, send_body=b'{"x":1}')
    assert (forged.status_code, code(forged)) == (401, 106001)
    assert code(client.call("POST", APPROVE.format(return_id), body=body, cipher=False)) == 106013
    assert the_return(client, return_id)["return_status"] == "RETURN_OR_REFUND_REQUEST_PENDING"


def test_return_controls_over_http(client, sandbox):
    order = delivered(sandbox)
    with httpx.Client(base_url=sandbox.url + "/_sandbox", timeout=5) as control:
        opened = control.post(f"/orders/{order['id']}/returns", json={"type": "REFUND"})
        assert opened.status_code == 200
        return_id = opened.json()["return_id"]
        assert control.post(f"/orders/{order['id']}/returns", json={}).status_code == 400
        assert control.post("/orders/404/returns", json={}).status_code == 404
        assert control.post(f"/returns/{return_id}/buyer_ship", json={}).status_code == 400
        withdrawn = control.post(f"/returns/{return_id}/withdraw", json={})
        assert withdrawn.json()["return_status"] == "RETURN_OR_REFUND_REQUEST_CANCEL"
        assert [r["return_id"] for r in control.get("/returns").json()["returns"]] == [return_id]
    assert code(answer(client, APPROVE, return_id, {"decision": "APPROVE_REFUND"})) == 25020009
    unpaid = sandbox.add_order(skus=["MUG-BLK-11"])
    with pytest.raises(ValueError):
        sandbox.open_return(unpaid["id"], "RETURN_AND_REFUND")
