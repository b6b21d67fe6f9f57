"""Signing, tokens and the response envelope of TikTok Shop (TikTok reference §2–§6)."""

import re
from collections.abc import Callable
from datetime import datetime

import httpx

from sync.clock import Clock, from_unix, to_unix
from sync.errors import AuthFailed, Rejected
from sync.http import Retry, json_or_none, retry_after
from sync.tiktok.signing import sign
from sync.tokens import RefreshingAuth, Tokens, TokenStore

PLATFORM = "tiktok"

TOKEN_EXPIRED = 105002
RATE_LIMITED = 36009002
_RETRY_CODES = {36009002, 36009003, 36009007}  # rate limited, internal error, timed out
_AUTH_CODES = {TOKEN_EXPIRED, 105005, 101000, 106001}
_REUSED_VALIDATION_CODE = 36009004  # one code for many causes: read the message
_AUTH_WORDS = re.compile(r"token|app[_ ]key|\bsign|timestamp", re.IGNORECASE)
# Paths TikTok refuses a shop_cipher on (with or without a base-URL prefix).
_SHOPLESS_PATH = re.compile(r"/(authorization|seller)/\d+/")


def needs_shop_cipher(path: str) -> bool:
    return _SHOPLESS_PATH.search(path) is None


def read_envelope(response: httpx.Response, *, now: datetime | None = None) -> dict:
    """The `data` of a successful answer; otherwise raises `Retry` or a `MarketplaceError`.

    `now` (the client's clock) dates a Retry-After given as an HTTP-date."""
    status = response.status_code
    body = json_or_none(response)
    envelope = body if isinstance(body, dict) and isinstance(body.get("code"), int) else None
    code = envelope["code"] if envelope else None
    message = str(envelope.get("message", "")) if envelope else ""
    request_id = _request_id(envelope)
    details = {"code": code, "status": status, "request_id": request_id}

    if status in (408, 429) or status >= 500 or code in _RETRY_CODES:
        reason = message or f"HTTP {status}"
        raise Retry(
            reason,
            after=retry_after(response.headers, now=now),
            # Refused by the rate limiter: nothing was done, so even a cancel may be resent.
            unprocessed=status == 429 or code == RATE_LIMITED,
            **details,
        )
    if envelope is None:
        if response.is_success:
            raise Retry("malformed JSON answer", status=status)
        error = AuthFailed if status in (401, 403) else Rejected
        raise error(PLATFORM, f"HTTP {status}", status=status)
    if code == 0 and response.is_success:
        data = envelope.get("data")
        return data if isinstance(data, dict) else {}
    if code == TOKEN_EXPIRED:
        raise AuthFailed(PLATFORM, f"{message} (still expired after a refresh)", **details)
    if code in _AUTH_CODES or (code == _REUSED_VALIDATION_CODE and _AUTH_WORDS.search(message)):
        raise AuthFailed(PLATFORM, message, **details)
    raise Rejected(PLATFORM, message or f"HTTP {status}", **details)


def _request_id(envelope: dict | None) -> str | None:
    value = envelope.get("request_id") if envelope else None
    return str(value) if value else None


class TikTokAuth(RefreshingAuth):
    """Adds app_key, timestamp, shop_cipher (where the path takes one) and sign to the query,
    and the access token and content type to the headers.

    Runs again before a resend, so the timestamp and signature are always fresh.
    """

    platform = PLATFORM

    def __init__(
        self,
        *,
        app_key: str,
        app_secret: str,
        tokens: TokenStore,
        auth_url: str,
        clock: Clock,
        shop_cipher: Callable[[], str],
    ) -> None:
        super().__init__(tokens, clock)
        self._app_key = app_key
        self._app_secret = app_secret
        self._refresh_url = f"{auth_url.rstrip('/')}/api/v2/token/refresh"
        self._shop_cipher = shop_cipher

    def prepare(self, request: httpx.Request, tokens: Tokens) -> None:
        params = {"app_key": self._app_key, "timestamp": str(to_unix(self._clock()))}
        if needs_shop_cipher(request.url.path):
            params["shop_cipher"] = self._shop_cipher()
        url = request.url.copy_merge_params(params)
        signature = sign(url.path, dict(url.params), request.content, self._app_secret)
        request.url = url.copy_set_param("sign", signature)
        request.headers["x-tts-access-token"] = tokens.access_token
        request.headers["content-type"] = "application/json"

    def expired(self, response: httpx.Response) -> bool:
        body = json_or_none(response)
        return isinstance(body, dict) and body.get("code") == TOKEN_EXPIRED

    def refresh_request(self, tokens: Tokens) -> httpx.Request:
        params = {
            "app_key": self._app_key,
            "app_secret": self._app_secret,
            "refresh_token": tokens.refresh_token or "",
            "grant_type": "refresh_token",
        }
        return httpx.Request("GET", self._refresh_url, params=params)

    def read_refresh(self, response: httpx.Response, old: Tokens) -> Tokens:
        try:
            data = read_envelope(response, now=self._clock())
        except Rejected as exc:
            raise AuthFailed(
                PLATFORM,
                f"token refresh refused: {exc.message}",
                code=exc.code,
                status=exc.status,
                request_id=exc.request_id,
            ) from exc
        access_token = data.get("access_token")
        if not access_token:
            raise AuthFailed(PLATFORM, "token refresh answered without an access token")
        # Both *_expire_in values are absolute Unix times, not durations.
        return Tokens(
            access_token=str(access_token),
            refresh_token=str(data.get("refresh_token") or old.refresh_token),
            access_expires_at=from_unix(data.get("access_token_expire_in")),
            refresh_expires_at=from_unix(data.get("refresh_token_expire_in"))
            or old.refresh_expires_at,
        )
