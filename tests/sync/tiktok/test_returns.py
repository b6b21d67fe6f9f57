"""TikTokClient's after-sales calls: against the emulator (contract), and with
httpx.MockTransport for answers lost or malformed."""

from decimal import Decimal

import pytest

from sandbox.tiktok import TikTokSandbox
from sync.errors import Rejected
from sync.tiktok import ApproveDecision, RejectDecision, ReturnStatus, ReturnType
from tests.utils.clients import tiktok_client as make_client
from tests.utils.fakes import FakeApi
from tests.utils.tiktok_answers import http, ok
from tests.utils.tiktok_sandbox_client import LoseFirstAnswer, sandbox_client

APPROVE = "/return_refund/202309/returns/r-1/approve"
SEARCH = "/return_refund/202309/returns/search"


@pytest.fixture
def sandbox():
    with TikTokSandbox(rate_per_s=1000) as running:
        yield running


@pytest.fixture
def client(sandbox):
    client = sandbox_client(sandbox)
    yield client
    client.close()


def delivered(sandbox, skus=("MUG-BLK-11",)) -> dict:
    return sandbox.add_order(skus=list(skus), status="DELIVERED")


def one_return(client, return_id: str):
    (page,) = client.search_returns(return_ids=[return_id])
    (found,) = page.returns
    return found


def test_search_returns_pages_through_by_update_time(client, sandbox):
    start = int(sandbox.clock.now())
    opened = [sandbox.open_return(delivered(sandbox)["id"], "REFUND") for _ in range(12)]
    pages = list(client.search_returns(update_time_ge=start, page_size=10))
    assert [len(page.returns) for page in pages] == [10, 2]
    assert [r.return_id for page in pages for r in page.returns] == [o["return_id"] for o in opened]
    first = pages[0].returns[0]
    assert (first.return_type, first.status) == (ReturnType.REFUND, ReturnStatus.PENDING)
    assert isinstance(first.refund_total, Decimal) and first.currency == "USD"
    assert first.deadline is not None and first.deadline.tzinfo is not None
    assert first.is_open and first.approve_decision is ApproveDecision.APPROVE_REFUND
    assert first.line_items[0].seller_sku == "MUG-BLK-11"
    assert (
        list(client.search_returns(update_time_ge=int(sandbox.clock.now()) + 60))[0].returns == []
    )


def test_approving_with_a_key_answers_once(client, sandbox):
    order = delivered(sandbox)
    request = one_return(client, sandbox.open_return(order["id"], "REFUND")["return_id"])
    client.approve_return(
        request.return_id, decision=request.approve_decision, idempotency_key="approve-1"
    )
    client.approve_return(
        request.return_id, decision=request.approve_decision, idempotency_key="approve-1"
    )
    assert one_return(client, request.return_id).status is ReturnStatus.COMPLETE
    assert client.get_orders([order["id"]])[0].status == "COMPLETED"
    with pytest.raises(Rejected) as refused:
        client.approve_return(
            request.return_id, decision=request.approve_decision, idempotency_key="approve-2"
        )
    assert refused.value.code == 25011012


def test_a_retry_after_a_lost_answer_reaches_tiktok_once(sandbox):
    order = delivered(sandbox)
    return_id = sandbox.open_return(order["id"], "REFUND")["return_id"]
    transport = LoseFirstAnswer()
    client = sandbox_client(sandbox, transport=transport)
    try:
        client.approve_return(
            return_id, decision=ApproveDecision.APPROVE_REFUND, idempotency_key="k-1"
        )
    finally:
        client.close()
    assert len(transport.sent) == 2
    assert {request.url.params["idempotency_key"] for request in transport.sent} == {"k-1"}
    (record,) = sandbox.returns()
    assert record["return_status"] == "RETURN_OR_REFUND_REQUEST_COMPLETE"


def test_a_return_asks_for_the_parcel_then_the_refund(client, sandbox):
    return_id = sandbox.open_return(delivered(sandbox)["id"])["return_id"]
    request = one_return(client, return_id)
    assert request.approve_decision is ApproveDecision.APPROVE_RETURN
    client.approve_return(return_id, decision=request.approve_decision, idempotency_key="a-1")
    waiting = one_return(client, return_id)
    assert waiting.status is ReturnStatus.AWAITING_BUYER_SHIP and waiting.approve_decision is None
    sandbox.return_shipped(return_id)
    sandbox.return_received(return_id)
    parcel = one_return(client, return_id)
    assert parcel.approve_decision is ApproveDecision.APPROVE_RECEIVED_PACKAGE
    assert parcel.reject_decision is RejectDecision.REJECT_RECEIVED_PACKAGE
    reasons = client.reject_reasons(return_id)
    assert "reverse_reject_return_parcel_reason_4" in {reason.name for reason in reasons}
    client.reject_return(
        return_id,
        decision=parcel.reject_decision,
        reason=reasons[0].name,
        idempotency_key="r-1",
        comment="the box came back empty",
    )
    assert one_return(client, return_id).status is ReturnStatus.PACKAGE_REJECTED


def test_buyer_cancellation_requests_are_listed_and_answered(client, sandbox):
    approved = sandbox.add_order(skus=["MUG-BLK-11"])["id"]
    rejected = sandbox.add_order(skus=["MUG-BLK-11"])["id"]
    for order_id in (approved, rejected):
        sandbox.buyer_cancel(order_id, pending=True)
    pending = {record.order_id: record for record in client.pending_cancellation_requests()}
    assert set(pending) == {approved, rejected}
    assert pending[approved].cancel_type == "BUYER_CANCEL"
    assert pending[approved].deadline is not None and pending[approved].refund_total > 0
    client.approve_cancellation(pending[approved].cancel_id, idempotency_key="c-1")
    assert client.get_orders([approved])[0].status == "CANCELLED"
    (reason, *_) = client.reject_reasons(pending[rejected].cancel_id)
    client.reject_cancellation(
        pending[rejected].cancel_id, reason=reason.name, idempotency_key="c-2"
    )
    assert client.pending_cancellation_requests() == []
    assert client.get_orders([rejected])[0].status == "AWAITING_SHIPMENT"


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_a_bad_idempotency_key_sends_nothing(key):
    api = FakeApi({APPROVE: [ok({})]})
    client, _, _ = make_client(api)
    with pytest.raises(ValueError):
        client.approve_return("r-1", decision=ApproveDecision.APPROVE_REFUND, idempotency_key=key)
    assert api.requests == []


def test_an_answer_is_retried_with_the_same_key_and_body():
    api = FakeApi({APPROVE: [http(503), ok({})]})
    client, time, _ = make_client(api)
    client.approve_return(
        "r-1", decision=ApproveDecision.APPROVE_RETURN, idempotency_key="k-9", buyer_keep_item=True
    )
    assert len(api.requests) == 2 and time.sleeps == [0.5]
    assert {r.content for r in api.requests} == {
        b'{"decision":"APPROVE_RETURN","buyer_keep_item":true}'
    }
    assert {r.url.params["idempotency_key"] for r in api.requests} == {"k-9"}


def test_an_unreadable_return_is_skipped_and_named(caplog):
    good = {
        "return_id": "r-1",
        "order_id": "5001",
        "return_type": "REFUND",
        "return_status": "SOMETHING_NEW",
        "create_time": 1740800000,
        "update_time": 1740800000,
        "refund_amount": {"currency": "USD", "refund_total": "N/A"},
    }
    bad = {"return_id": "r-2", "order_id": "5002", "create_time": "soon"}
    api = FakeApi({SEARCH: [ok({"return_orders": [good, bad], "next_page_token": ""})]})
    client, _, _ = make_client(api)
    (page,) = client.search_returns()
    (request,) = page.returns
    assert page.skipped == ("r-2",)
    assert request.status is ReturnStatus.UNKNOWN and request.refund_total is None
    assert request.approve_decision is None and not request.is_open
    assert "return r-2 skipped" in caplog.text
