"""TikTok Shop request signature (TikTok reference §3)."""

import hashlib
import hmac
from collections.abc import Mapping

# Never part of the signed string: the signature itself and the access token.
_UNSIGNED = {"sign", "access_token", "x-tts-access-token"}


def sign(path: str, query: Mapping[str, str], body: bytes, app_secret: str) -> str:
    """Lowercase hex HMAC-SHA256 over secret + path + sorted key/value pairs + body + secret.

    `query` holds the values as sent, URL-decoded; `body` is the exact bytes sent (empty for a
    GET), never a re-serialisation.
    """
    pairs = "".join(f"{key}{query[key]}" for key in sorted(query) if key not in _UNSIGNED)
    secret = app_secret.encode()
    message = secret + f"{path}{pairs}".encode() + body + secret
    return hmac.new(secret, message, hashlib.sha256).hexdigest()
