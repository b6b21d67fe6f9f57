"""Answering requests against the TikTok emulator: approve and reject reach TikTok once, with a
key; answered requests, unknown ids and wrong reasons send nothing; an approved buyer
cancellation gives its Etsy units back once."""

import time
from datetime import timedelta

import pytest

from storage.db import transaction
from storage.models import AfterSalesRequest
from sync.engine import EngineError, ReasonRefused, RequestNotFound
from sync.engine.answers import answer_key, match_reason
from sync.tiktok.returns import RejectReason
from tests.utils.catalog import stock, unique_skus

ADMIN = "U0ADMIN"


def answers(shops, verb: str) -> list:
    return [c for c in shops.tiktok.calls if c.path.endswith(f"/{verb}")]


def opened(core, shops, kind: str = "REFUND") -> tuple[str, str]:
    (sku,) = unique_skus(shops, 1)
    order_id = shops.tiktok.add_order(skus=[sku], status="IN_TRANSIT")["id"]
    shops.tiktok.deliver(order_id, int(time.time()) - 60)
    core.services.engine.fetch()
    request_id = shops.tiktok.open_return(order_id, kind)["return_id"]
    core.services.engine.fetch()
    shops.tiktok.reset_calls()
    return order_id, request_id


def test_approving_twice_reaches_tiktok_once_with_a_key(core, shops):
    order_id, request_id = opened(core, shops)
    engine = core.services.engine

    done = engine.approve_request(request_id, actor=ADMIN)
    with pytest.raises(EngineError, match="not waiting for your answer"):
        engine.approve_request(request_id, actor=ADMIN)

    (call,) = answers(shops, "approve")
    assert call.query["idempotency_key"] == answer_key(request_id, "APPROVE_REFUND")
    assert done.status == "RETURN_OR_REFUND_REQUEST_COMPLETE" and not done.is_open
    assert (done.answered_by, done.answer_key, done.answering_at) == (
        ADMIN,
        call.query["idempotency_key"],
        None,
    )
    assert engine.order(order_id).return_state == "refunded"


def test_an_answer_under_way_elsewhere_sends_nothing(core, shops):
    _, request_id = opened(core, shops)
    engine = core.services.engine
    row = engine.request(request_id)
    with transaction(core.services.sessions) as session:
        held = session.get(AfterSalesRequest, row.id)
        held.answering_at, held.answering_by = engine.clock(), "U0OTHER"

    with pytest.raises(EngineError, match="being answered by U0OTHER"):
        engine.approve_request(request_id, actor=ADMIN)
    assert answers(shops, "approve") == []


def test_a_claim_left_by_a_crash_is_sent_again_with_the_same_key(core, shops):
    _, request_id = opened(core, shops)
    engine = core.services.engine
    row = engine.request(request_id)
    key = answer_key(request_id, "APPROVE_REFUND")
    with transaction(core.services.sessions) as session:
        held = session.get(AfterSalesRequest, row.id)
        held.answering_at = engine.clock() - timedelta(hours=1)
        held.answering_by, held.answer_key = "U0GONE", key

    assert not engine.approve_request(request_id, actor=ADMIN).is_open
    assert [c.query["idempotency_key"] for c in answers(shops, "approve")] == [key]


def test_a_reject_reason_must_be_one_of_tiktoks_for_the_request(core, shops):
    _, request_id = opened(core, shops, "RETURN_AND_REFUND")
    engine = core.services.engine
    _, reasons = engine.reject_reasons(request_id)
    assert "seller_reject_apply_item_is_correct" in {r.name for r in reasons}

    with pytest.raises(ReasonRefused) as refused:
        engine.reject_request(request_id, "I just do not want to", actor=ADMIN)
    assert {r.name for r in refused.value.reasons} == {r.name for r in reasons}
    assert answers(shops, "reject") == []

    done = engine.reject_request(request_id, "  item IS correct ", actor=ADMIN)
    (call,) = answers(shops, "reject")
    assert b"seller_reject_apply_item_is_correct" in call.body
    assert done.status == "REFUND_OR_RETURN_REQUEST_REJECT" and not done.is_open
    assert done.answer == "rejected: Item is correct"


def test_reasons_match_by_name_or_text_case_insensitively():
    reasons = [RejectReason("seller_reject_apply_need_to_apply_for_refund&return", "Apply")]
    assert match_reason("SELLER_REJECT_APPLY_NEED_TO_APPLY_FOR_REFUND&RETURN", reasons)
    assert match_reason("apply", reasons) and match_reason("appl", reasons) is None


def test_unknown_ids_are_refused_without_a_call(core, shops):
    engine = core.services.engine
    shops.tiktok.reset_calls()
    with pytest.raises(RequestNotFound):
        engine.approve_request("4035560000000009999", actor=ADMIN)
    with pytest.raises(RequestNotFound):
        engine.reject_request("4035560000000009999", "Item is correct", actor=ADMIN)
    assert shops.tiktok.calls == []


def test_approving_a_buyer_cancellation_cancels_and_gives_stock_back_once(core, shops):
    (sku,) = unique_skus(shops, 1)
    before = stock(shops, sku)
    order_id = shops.tiktok.add_order(skus=[sku])["id"]
    engine = core.services.engine
    engine.fetch()
    assert stock(shops, sku) == before - 1
    cancel_id = shops.tiktok.buyer_cancel(order_id, pending=True)["cancel_id"]
    engine.fetch()

    done = engine.approve_request(cancel_id, actor=ADMIN)
    with pytest.raises(EngineError, match="not waiting"):
        engine.approve_request(cancel_id, actor=ADMIN)
    with pytest.raises(EngineError, match="shipping the order"):
        engine.reject_request(cancel_id, "anything", actor=ADMIN)
    engine.fetch()

    assert len(answers(shops, "approve")) == 1
    assert not done.is_open
    assert engine.order(order_id).section == "cancelled"
    assert stock(shops, sku) == before  # given back, once


def test_a_returned_parcel_is_restocked_only_when_asked_and_once(core, shops):
    order_id, request_id = opened(core, shops, "RETURN_AND_REFUND")
    engine = core.services.engine
    sku = engine.request(request_id).lines()[0]["seller_sku"]
    after_sale = stock(shops, sku)
    engine.approve_request(request_id, actor=ADMIN)
    with pytest.raises(EngineError, match="has not reached you yet"):
        engine.restock_request(request_id, actor=ADMIN)
    shops.tiktok.return_shipped(request_id)
    shops.tiktok.return_received(request_id)
    engine.fetch()

    row = engine.request(request_id)
    assert row.received_at is not None and row.seller_action == "SELLER_RESPOND_RECEIVE_PACKAGE"
    assert stock(shops, sku) == after_sale  # never automatic

    engine.restock_request(request_id, actor=ADMIN)
    with pytest.raises(EngineError, match="already restocked"):
        engine.restock_request(request_id, actor=ADMIN)
    engine.fetch()

    assert stock(shops, sku) == after_sale + 1
    assert engine.request(request_id).restock_by == ADMIN


def test_a_refund_without_a_return_moves_no_stock(core, shops):
    _, request_id = opened(core, shops, "REFUND")
    with pytest.raises(EngineError, match="no stock moves"):
        core.services.engine.restock_request(request_id, actor=ADMIN)
