"""Etsy keys, OAuth tokens and error answers (Etsy reference §1–§4)."""

from datetime import datetime, timedelta
from typing import Any

import httpx

from sync.clock import Clock
from sync.errors import AuthFailed, Rejected
from sync.http import Retry, json_or_none, retry_after
from sync.tokens import RefreshingAuth, Tokens, TokenStore

PLATFORM = "etsy"


def api_key(keystring: str, shared_secret: str) -> str:
    """The x-api-key value: `keystring:shared_secret` in current docs (keystring alone before)."""
    return f"{keystring}:{shared_secret}"


def _message(body: Any, status: int) -> str:
    if isinstance(body, dict) and body.get("error"):
        description = body.get("error_description")
        return f"{body['error']}: {description}" if description else str(body["error"])
    return f"HTTP {status}"


def check(response: httpx.Response, *, now: datetime | None = None) -> None:
    """Raises `Retry` or a `MarketplaceError` unless the answer is a success.

    `now` (the client's clock) dates a Retry-After given as an HTTP-date. A 401 that a token
    refresh did not cure is `AuthFailed`; a 403 is `Rejected`: the spec describes it as
    "operation not allowed", a refusal of this request (e.g. a listing of another shop), not
    bad credentials, so it must not stop every other call."""
    status = response.status_code
    if response.is_success:
        return
    body = json_or_none(response)
    message = _message(body, status)
    if status in (408, 429) or status >= 500:
        raise Retry(
            message,
            after=retry_after(response.headers, now=now),
            status=status,
            unprocessed=status == 429,
        )
    # Concurrent edits of one listing are refused with a 409 that asks to try again; a 409
    # whose body cannot be read (cut short on the way) may well be that one, so it is retried
    # too, rather than failing the order for good.
    unreadable = not (isinstance(body, dict) and body.get("error"))
    if status == 409 and (
        unreadable or "being edited" in message.lower() or "try again" in message.lower()
    ):
        raise Retry(message, status=status)
    if status == 401:
        raise AuthFailed(PLATFORM, message, status=status)
    raise Rejected(PLATFORM, message, status=status)


def read_json(response: httpx.Response, *, now: datetime | None = None) -> Any:
    """The JSON of a successful answer; a success that is not JSON is worth another attempt."""
    check(response, now=now)
    body = json_or_none(response)
    if body is None:
        raise Retry("malformed JSON answer", status=response.status_code)
    return body


class EtsyAuth(RefreshingAuth):
    """Adds `x-api-key` and the bearer token; refreshes the token before expiry and on a 401."""

    platform = PLATFORM

    def __init__(
        self,
        *,
        keystring: str,
        shared_secret: str,
        tokens: TokenStore,
        token_url: str,
        clock: Clock,
    ) -> None:
        super().__init__(tokens, clock)
        self._keystring = keystring
        self._api_key = api_key(keystring, shared_secret)
        self._token_url = token_url

    def prepare(self, request: httpx.Request, tokens: Tokens) -> None:
        request.headers["x-api-key"] = self._api_key
        request.headers["authorization"] = f"Bearer {tokens.access_token}"

    def expired(self, response: httpx.Response) -> bool:
        return response.status_code == 401

    def refresh_request(self, tokens: Tokens) -> httpx.Request:
        form = {
            "grant_type": "refresh_token",
            "client_id": self._keystring,
            "refresh_token": tokens.refresh_token or "",
        }
        return httpx.Request(
            "POST", self._token_url, data=form, headers={"x-api-key": self._api_key}
        )

    def read_refresh(self, response: httpx.Response, old: Tokens) -> Tokens:
        try:
            body = read_json(response, now=self._clock())
        except (AuthFailed, Rejected) as exc:  # e.g. invalid_grant: the refresh token is spent
            raise AuthFailed(
                PLATFORM, f"token refresh refused: {exc.message}", status=exc.status
            ) from exc
        if not isinstance(body, dict) or not body.get("access_token"):
            raise AuthFailed(PLATFORM, "token refresh answered without an access token")
        expires_in = _seconds(body.get("expires_in"))
        return Tokens(
            access_token=str(body["access_token"]),
            # Etsy rotates refresh tokens: the old one stops working, so keep the new one.
            refresh_token=str(body.get("refresh_token") or old.refresh_token),
            # A duration, unlike TikTok's absolute expiry.
            access_expires_at=None
            if expires_in is None
            else self._clock() + timedelta(seconds=expires_in),
            refresh_expires_at=old.refresh_expires_at,
        )


def _seconds(value: Any) -> int | None:
    # Lenient: failing here would lose the rotated refresh token that came with it.
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
