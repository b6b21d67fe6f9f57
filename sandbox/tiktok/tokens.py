"""Access and refresh tokens (§6): absolute expiry times, single-use auth codes, rotation.

Whether TikTok rotates the refresh token is unknown (§6.3); the emulator rotates it, the strict
choice: a client that does not persist what a refresh returns fails here at once.
Access tokens issued before a refresh stay valid until they expire.
"""

import random
import threading
from enum import Enum

from sandbox.clock import SandboxClock

from .errors import (
    INVALID_AUTH_CODE,
    REFRESH_TOKEN_EXPIRED,
    REFRESH_TOKEN_UNKNOWN,
    ApiError,
)

AUTH_CODE_TTL_S = 30 * 60  # §6.1
REFRESH_TTL_S = 358 * 86400  # the official sample's two expiry times are ~358 days apart
GRANTED_SCOPES = [
    "seller.authorization.info",
    "seller.order.info",
    "seller.return_refund.basic",
    "seller.fulfillment.basic",
    "seller.logistics",
    "seller.product.basic",
    "seller.product.write",
]


class TokenState(Enum):
    VALID = "valid"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class TokenBook:
    def __init__(
        self, clock: SandboxClock, rng: random.Random, access_ttl_s: int, seller_name: str
    ):
        self._clock = clock
        self._rng = rng
        self._access_ttl_s = access_ttl_s
        self._seller_name = seller_name
        self._open_id = self._random("", 16)
        self._access: dict[str, int] = {}  # token -> absolute expiry (Unix s)
        self._refresh: dict[str, int] = {}
        self._codes: dict[str, int] = {}
        self._lock = threading.Lock()

    def _random(self, prefix: str, nbytes: int) -> str:
        return prefix + self._rng.getrandbits(nbytes * 8).to_bytes(nbytes, "big").hex()

    def issue(self) -> dict:
        now = int(self._clock.now())
        with self._lock:
            access, refresh = self._random("TTP_", 24), self._random("TTP_", 24)
            self._access[access] = now + self._access_ttl_s
            self._refresh[refresh] = now + REFRESH_TTL_S
            return {
                "access_token": access,
                "access_token_expire_in": self._access[access],
                "refresh_token": refresh,
                "refresh_token_expire_in": self._refresh[refresh],
                "open_id": self._open_id,
                "seller_name": self._seller_name,
                "seller_base_region": "US",
                "user_type": 0,
                "granted_scopes": list(GRANTED_SCOPES),
            }

    def new_auth_code(self) -> str:
        with self._lock:
            code = self._random("", 20)
            self._codes[code] = int(self._clock.now()) + AUTH_CODE_TTL_S
            return code

    def exchange(self, auth_code: str) -> dict:
        with self._lock:
            expiry = self._codes.pop(auth_code, None)  # single use, even when expired
        if expiry is None or expiry <= self._clock.now():
            raise ApiError(INVALID_AUTH_CODE, "auth code is invalid, expired or already used")
        return self.issue()

    def refresh(self, refresh_token: str) -> dict:
        with self._lock:
            expiry = self._refresh.get(refresh_token)
            if expiry is None:
                raise ApiError(REFRESH_TOKEN_UNKNOWN, "can not find related auth record")
            if expiry <= self._clock.now():
                raise ApiError(REFRESH_TOKEN_EXPIRED, "rt has expired")
            del self._refresh[refresh_token]
        return self.issue()

    def expire_access_tokens(self) -> None:
        expired = int(self._clock.now()) - 1
        with self._lock:
            self._access = dict.fromkeys(self._access, expired)

    def state(self, access_token: str) -> TokenState:
        with self._lock:
            expiry = self._access.get(access_token)
        if expiry is None:
            return TokenState.UNKNOWN
        return TokenState.VALID if expiry > self._clock.now() else TokenState.EXPIRED
