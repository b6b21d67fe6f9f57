"""A real `TikTokClient` pointed at a running `TikTokSandbox` (contract tests), on the
sandbox's clock, with sleeps recorded instead of waited."""

import httpx

from sandbox.tiktok import TikTokSandbox
from sync.clock import from_unix
from sync.tiktok import TikTokClient
from sync.tokens import MemoryTokenStore, Tokens


def sandbox_client(
    sandbox: TikTokSandbox, *, transport: httpx.BaseTransport | None = None
) -> TikTokClient:
    issued = sandbox.issue_tokens()
    tokens = Tokens(
        issued["access_token"],
        issued["refresh_token"],
        from_unix(issued["access_token_expire_in"]),
        from_unix(issued["refresh_token_expire_in"]),
    )
    return TikTokClient(
        app_key=sandbox.app_key,
        app_secret=sandbox.app_secret,
        tokens=MemoryTokenStore(tokens),
        base_url=sandbox.url,
        auth_url=sandbox.url,
        shop_cipher=sandbox.shop.cipher,
        transport=transport,
        clock=lambda: from_unix(sandbox.clock.now()),
        sleep=lambda seconds: None,
        rate_per_s=1000,
    )


class LoseFirstAnswer(httpx.BaseTransport):
    """Sends every request on; the first one's answer is lost (the client sees a 500), so a
    retry meets a request the server has already carried out."""

    def __init__(self) -> None:
        self._real = httpx.HTTPTransport()
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        response = self._real.handle_request(request)
        if len(self.sent) == 1:
            response.read()
            return httpx.Response(500, text="lost")
        return response

    def close(self) -> None:
        self._real.close()
