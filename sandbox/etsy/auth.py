"""The app key (`x-api-key`) and OAuth tokens (Etsy reference §1, §2).

Tokens live on the sandbox clock, so moving the clock expires them. Refresh tokens rotate: the
reference cites that from a third-party client, and the strict reading is the safer one to test.
"""

import base64
import hashlib
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

REFRESH_TTL_S = 90 * 86_400
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


class ApiError(Exception):
    """Answered as `{"error": message, **extra}` with `status` and `headers`."""

    def __init__(
        self, status: int, message: str, headers: dict[str, str] | None = None, **extra: str
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra
        self.headers = headers or {}


def check_api_key(header: str | None, keystring: str, secret: str, keystring_only_ok: bool):
    if not header:
        raise ApiError(401, "Missing x-api-key header.")
    if header == f"{keystring}:{secret}" or (keystring_only_ok and header == keystring):
        return
    if header == keystring:
        raise ApiError(403, "Invalid API key: it must be keystring:shared_secret.")
    raise ApiError(403, "Invalid API key.")


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass
class _Code:
    challenge: str | None
    redirect_uri: str | None


class Tokens:
    def __init__(
        self, *, keystring: str, user_id: int, now: Callable[[], float], access_ttl_s: int
    ) -> None:
        self._keystring = keystring
        self._user_id = user_id
        self._now = now
        self._ttl = access_ttl_s
        self._lock = threading.Lock()
        self._access: dict[str, float] = {}  # token -> expiry
        self._refresh: dict[str, float] = {}
        self._codes: dict[str, _Code] = {}

    def issue(self) -> dict:
        with self._lock:
            access = self._new_token()
            refresh = self._new_token()
            now = self._now()
            self._access[access] = now + self._ttl
            self._refresh[refresh] = now + REFRESH_TTL_S
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self._ttl,
            "refresh_token": refresh,
        }

    def issue_code(self, code_challenge: str | None = None, redirect_uri: str | None = None) -> str:
        """Stands for the seller approving the app at etsy.com/oauth/connect."""
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Code(code_challenge, redirect_uri)
        return code

    def grant(self, form: dict[str, str]) -> dict:
        """The token endpoint: both grants, OAuth-style errors."""
        grant_type = form.get("grant_type")
        if grant_type not in ("refresh_token", "authorization_code"):
            raise ApiError(400, "unsupported_grant_type", error_description="Unknown grant_type.")
        if form.get("client_id") != self._keystring:
            raise ApiError(401, "invalid_client", error_description="Unknown client_id.")
        if grant_type == "refresh_token":
            self._use_refresh(form.get("refresh_token", ""))
        else:
            self._use_code(form)
        return self.issue()

    def user_for(self, authorization: str | None) -> int:
        """The user behind `Authorization: Bearer …`; 401 invalid_token otherwise."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "invalid_token", error_description="An access token is required.")
        with self._lock:
            expiry = self._access.get(token)
        if expiry is None:
            raise ApiError(401, "invalid_token", error_description="The access token is invalid.")
        if self._now() >= expiry:
            raise ApiError(401, "invalid_token", error_description="The access token has expired.")
        return self._user_id

    def expire_access(self) -> None:
        with self._lock:
            self._access = dict.fromkeys(self._access, float("-inf"))

    def _use_refresh(self, token: str) -> None:
        with self._lock:
            expiry = self._refresh.pop(token, None)  # rotation: each refresh token works once
        if expiry is None or self._now() >= expiry:
            raise ApiError(400, "invalid_grant", error_description="Invalid refresh token.")

    def _use_code(self, form: dict[str, str]) -> None:
        verifier = form.get("code_verifier", "")
        if not _VERIFIER.match(verifier):
            raise ApiError(400, "invalid_request", error_description="Bad code_verifier.")
        with self._lock:
            code = self._codes.pop(form.get("code", ""), None)  # a code works once
        if code is None:
            raise ApiError(400, "invalid_grant", error_description="Invalid authorization code.")
        if code.challenge and pkce_challenge(verifier) != code.challenge:
            raise ApiError(400, "invalid_grant", error_description="code_verifier does not match.")
        if code.redirect_uri and form.get("redirect_uri") != code.redirect_uri:
            raise ApiError(400, "invalid_grant", error_description="redirect_uri does not match.")

    def _new_token(self) -> str:
        return f"{self._user_id}.{secrets.token_urlsafe(24)}"
