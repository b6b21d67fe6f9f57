"""The gateway checks every signed API call passes (§1-§4), in the order the emulator runs them:
content type, app key, sign present, timestamp window, signature, access token, shop cipher."""

import hmac
from dataclasses import dataclass

from sandbox.server import Request

from .errors import (
    BODY_NOT_JSON,
    INVALID_REQUEST,
    INVALID_SIGN,
    MISSING_SHOP_CIPHER,
    TOKEN_EXPIRED,
    TOKEN_SHOP_MISMATCH,
    ApiError,
)
from .signing import request_sign
from .tokens import TokenBook, TokenState

TIMESTAMP_PAST_S = 5 * 60
TIMESTAMP_FUTURE_S = 30


@dataclass(frozen=True)
class Gate:
    app_key: str
    app_secret: str
    shop_cipher: str
    tokens: TokenBook

    def check(self, request: Request, now: float, shop_scoped: bool) -> None:
        """Raise ApiError for the first rule the request breaks."""
        content_type = request.headers.get("content-type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            raise ApiError(BODY_NOT_JSON, "content-type must be application/json")
        query = request.query
        if query.get("app_key") != self.app_key:
            raise ApiError(INVALID_REQUEST, "Invalid app_key")
        if not query.get("sign"):
            raise ApiError(INVALID_REQUEST, "Invalid sign: sign is missing")
        self._check_timestamp(query.get("timestamp", ""), now)
        expected = request_sign(request.path, query, request.body, self.app_secret, content_type)
        if not hmac.compare_digest(query["sign"].lower(), expected):
            raise ApiError(INVALID_SIGN, "Invalid credentials: the sign is invalid")
        self._check_token(request.headers.get("x-tts-access-token", ""))
        self._check_cipher(query.get("shop_cipher"), shop_scoped)

    def _check_timestamp(self, raw: str, now: float) -> None:
        if not raw.isdigit():
            raise ApiError(INVALID_REQUEST, f"Invalid timestamp: {raw!r} is not a Unix time")
        if not now - TIMESTAMP_PAST_S <= int(raw) <= now + TIMESTAMP_FUTURE_S:
            raise ApiError(
                INVALID_REQUEST,
                f"Invalid timestamp: {raw} is more than 5 minutes old or 30 seconds ahead",
            )

    def _check_token(self, token: str) -> None:
        state = self.tokens.state(token) if token else TokenState.UNKNOWN
        if state is TokenState.UNKNOWN:
            raise ApiError(
                INVALID_REQUEST,
                "Invalid credentials: access token (x-tts-access-token) is missing or invalid",
            )
        if state is TokenState.EXPIRED:
            raise ApiError(TOKEN_EXPIRED, "access token is expired, please refresh it")

    def _check_cipher(self, cipher: str | None, shop_scoped: bool) -> None:
        if not shop_scoped:
            if cipher is not None:
                raise ApiError(
                    INVALID_REQUEST, "Unexpected identifier: shop_cipher is not required"
                )
            return
        if not cipher:
            raise ApiError(MISSING_SHOP_CIPHER, "shop_cipher is required")
        if cipher != self.shop_cipher:
            raise ApiError(TOKEN_SHOP_MISMATCH, "Invalid shop_cipher for this access token")
