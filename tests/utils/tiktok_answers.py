"""TikTok answers for `FakeApi` routes (success, an error code, a bare HTTP status) and the check
that a request the client sent was signed."""

import httpx

from sync.tiktok import sign
from tests.utils.clients import APP_SECRET


def ok(data: dict, request_id: str = "req-ok"):
    body = {"code": 0, "message": "Success", "request_id": request_id, "data": data}
    return lambda request: httpx.Response(200, json=body)


def fail(code: int, message: str, *, status=200, request_id="req-fail", headers=None):
    body = {"code": code, "message": message, "request_id": request_id, "data": None}
    return lambda request: httpx.Response(status, headers=headers, json=body)


def http(status: int, *, headers: dict | None = None, text: str = ""):
    return lambda request: httpx.Response(status, headers=headers, text=text)


def query(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params)


def assert_signed(request: httpx.Request) -> None:
    params = query(request)
    assert params["sign"] == sign(request.url.path, params, request.content, APP_SECRET)
