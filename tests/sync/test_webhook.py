"""The push signature and envelope (TikTok reference §14), as pure functions."""

import pytest

from sync import webhook

# The SDK's webhook test sample, byte for byte (166 characters), and its signature (§14.5).
SAMPLE = (
    b'{"type":1,"shop_id":"7494726673780148744","timestamp":1664095733,"data":{"order_id":'
    b'"576684019603311365","order_status":"AWAITING_SHIPMENT","update_time":1664095610}}'
)
SAMPLE_SIGNATURE = "21109834de72ec53c9959716d8514ae388ce1f123e5ffdcafc46713fcdf62b27"


def test_the_reference_sample_signs_to_the_reference_signature():
    assert len(SAMPLE) == 166
    assert webhook.sign("fake_app_key", "fake_app_secret", SAMPLE) == SAMPLE_SIGNATURE
    assert webhook.verify("fake_app_key", "fake_app_secret", SAMPLE, SAMPLE_SIGNATURE)


@pytest.mark.parametrize(
    ("key", "secret", "body", "header"),
    [
        ("fake_app_key", "fake_app_secret", SAMPLE.replace(b"1664095610", b"1664095611"), None),
        ("fake_app_key", "another_secret", SAMPLE, None),
        ("another_key", "fake_app_secret", SAMPLE, None),
        ("fake_app_key", "fake_app_secret", SAMPLE, ""),
        ("fake_app_key", "fake_app_secret", SAMPLE, "Bearer " + SAMPLE_SIGNATURE),
        ("fake_app_key", "fake_app_secret", SAMPLE, SAMPLE_SIGNATURE[:-1]),
        ("fake_app_key", "fake_app_secret", SAMPLE, "zz" + SAMPLE_SIGNATURE[2:]),
        ("", "", SAMPLE, SAMPLE_SIGNATURE),
    ],
    ids=[
        "body changed",
        "wrong secret",
        "wrong key",
        "empty header",
        "bearer prefix",
        "truncated",
        "not hex",
        "no credentials",
    ],
)
def test_anything_else_is_refused(key, secret, body, header):
    signature = SAMPLE_SIGNATURE if header is None else header
    assert not webhook.verify(key, secret, body, signature)


def test_a_missing_header_is_refused():
    assert not webhook.verify("fake_app_key", "fake_app_secret", SAMPLE, None)


def test_the_sample_parses_and_asks_for_a_refresh():
    push = webhook.parse(SAMPLE)
    assert (push.type, push.shop_id, push.order_id) == (
        1,
        "7494726673780148744",
        "576684019603311365",
    )
    assert push.refreshes_order and push.order_status == "AWAITING_SHIPMENT"
    assert push.timestamp == 1664095733 and push.notification_id is None


def test_cancel_is_read_as_cancelled_and_cancellations_refresh_too():
    cancel = webhook.parse(
        b'{"type":1,"tts_notification_id":"7","shop_id":1,"timestamp":2,'
        b'"data":{"order_id":"5","order_status":"CANCEL","update_time":3}}'
    )
    assert cancel.order_status == "CANCELLED" and cancel.notification_id == "7"
    assert cancel.shop_id == "1"
    type_11 = webhook.parse(
        b'{"type":11,"shop_id":"1","timestamp":2,"data":{"order_id":"5",'
        b'"cancellations_role":"BUYER","cancel_status":"CANCELLATION_REQUEST_PENDING"}}'
    )
    assert type_11.refreshes_order and type_11.order_status is None
    type_12 = webhook.parse(
        b'{"type":12,"shop_id":"1","data":{"order_id":"5","return_type":"REFUND",'
        b'"return_status":"RETURN_OR_REFUND_REQUEST_PENDING","return_id":"9"}}'
    )
    assert type_12.refreshes_order and type_12.order_id == "5"


@pytest.mark.parametrize(
    "body",
    [
        b'{"type":12,"shop_id":"1","data":{"return_type":"REFUND"}}',
        b'{"type":6,"shop_id":"1","data":{"message":"deauthorised"}}',
        b'{"type":1,"shop_id":"1","data":{}}',
    ],
    ids=["return without an order id", "deauthorisation", "no order id"],
)
def test_other_pushes_do_not_refresh(body):
    assert not webhook.parse(body).refreshes_order


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[1,2]",
        b'{"shop_id":"1"}',
        b'{"type":"1","shop_id":"1"}',
        b'{"type":1}',
        b'{"type":1,"shop_id":"1","data":[1]}',
        b'{"type":true,"shop_id":"1"}',
    ],
)
def test_malformed_envelopes_are_refused(body):
    with pytest.raises(webhook.BadPush):
        webhook.parse(body)
