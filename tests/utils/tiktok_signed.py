"""Raw, signed calls to the TikTok emulator (written apart from both the emulator's verifier and
the client's signer), its clock at a chosen instant, and a check of the pushes it sends."""

import hashlib
import hmac
import json
import queue
import time

import httpx

from sandbox.clock import SandboxClock
from sandbox.tiktok import TikTokSandbox

SEARCH = "/order/202309/orders/search"


def sign(path: str, query: dict, body: bytes, secret: str) -> str:
    """§3, written independently of the emulator's verifier."""
    pairs = "".join(
        f"{k}{v}" for k, v in sorted(query.items()) if k not in ("sign", "access_token")
    )
    message = secret.encode() + path.encode() + pairs.encode() + body + secret.encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class Client:
    def __init__(self, sandbox: TikTokSandbox, access_token: str):
        self.sandbox = sandbox
        self.access_token = access_token
        self.http = httpx.Client(base_url=sandbox.url, timeout=5)

    def call(self, method, path, query=None, body=None, *, cipher=True, timestamp=None, **tweak):
        query = {"app_key": self.sandbox.app_key, **(query or {})}
        query["timestamp"] = str(timestamp or int(self.sandbox.clock.now()))
        if cipher and not path.startswith("/authorization/"):
            query.setdefault("shop_cipher", self.sandbox.shop.cipher)
        raw = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        query["sign"] = sign(path, query, raw, self.sandbox.app_secret)
        headers = {"content-type": "application/json", "x-tts-access-token": self.access_token}
        headers.update(tweak.get("headers", {}))
        return self.http.request(
            method, path, params=query, content=tweak.get("send_body", raw), headers=headers
        )

    def ok(self, method, path, query=None, body=None) -> dict:
        response = self.call(method, path, query, body)
        assert response.status_code == 200, response.text
        payload = response.json()
        assert payload["code"] == 0, payload
        return payload["data"]

    def search_all(self, query: dict, body: dict, between_pages=lambda page: None) -> list[str]:
        ids, token, pages = [], "", 0
        while True:
            page_query = {**query, **({"page_token": token} if token else {})}
            data = self.ok("POST", SEARCH, page_query, body)
            ids += [order["id"] for order in data["orders"]]
            token, pages = data["next_page_token"], pages + 1
            if not token:
                return ids
            between_pages(pages)


def clock_at(unix: int) -> SandboxClock:
    return SandboxClock(offset_s=unix - time.time())


def next_push(received: queue.Queue, app_key: str, app_secret: str) -> dict:
    headers, body = received.get(timeout=5)
    expected = hmac.new(app_secret.encode(), app_key.encode() + body, hashlib.sha256).hexdigest()
    assert headers["authorization"] == expected
    return json.loads(body)
