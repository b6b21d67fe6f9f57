import pytest

from sync.tiktok.signing import sign

# The three vectors of TikTok reference §3, exactly.
VECTORS = [
    (
        "/test-api",
        {"foo": "bar"},
        b"",
        "app_secret",
        "d3cb7fe11ecae942802ceeca67e7cf10120cc12f1517d45fbc1c8cfe5413c80f",
    ),
    (
        "/authorization/202309/shops",
        {"app_key": "29a39d", "timestamp": "1623812664"},
        b"",
        "e59af819cc",
        "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8",
    ),
    (
        "/order/202309/orders/search",
        {
            "app_key": "app_key",
            "page_size": "50",
            "shop_cipher": "cipher",
            "timestamp": "1700000000",
        },
        b'{"order_status":"AWAITING_SHIPMENT","update_time_ge":1700000000}',
        "app_secret",
        "4c76455a4329ac52b2c73717392d3871af7f79dffc9a9e26cd4484fbbe5c1451",
    ),
]


@pytest.mark.parametrize(("path", "query", "body", "secret", "expected"), VECTORS)
def test_reference_vectors(path, query, body, secret, expected):
    assert sign(path, query, body, secret) == expected


def test_sign_and_tokens_are_left_out_and_order_does_not_matter():
    path, query, body, secret, expected = VECTORS[1]
    noisy = {
        "timestamp": query["timestamp"],
        "sign": "stale",
        "access_token": "tok",
        "x-tts-access-token": "tok",
        "app_key": query["app_key"],
    }
    assert sign(path, noisy, body, secret) == expected


def test_body_bytes_are_signed_as_sent():
    path, query, body, secret, expected = VECTORS[2]
    respaced = b'{"order_status": "AWAITING_SHIPMENT", "update_time_ge": 1700000000}'
    assert sign(path, query, respaced, secret) != expected
