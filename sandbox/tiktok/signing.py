"""Request and webhook signatures, read straight from the reference (§3, §14.5)."""

import hashlib
import hmac

# Query parameters that never enter the request signature (§3 step 1).
UNSIGNED_PARAMS = frozenset({"sign", "access_token"})


def request_sign(
    path: str, query: dict[str, str], body: bytes, secret: str, content_type: str = ""
) -> str:
    """Path + sorted `{key}{value}` pairs + raw body, wrapped in the secret, HMAC-SHA256 hex."""
    pairs = "".join(f"{key}{query[key]}" for key in sorted(query) if key not in UNSIGNED_PARAMS)
    signed_body = b"" if content_type.lower().startswith("multipart/form-data") else body
    key = secret.encode()
    wrapped = key + (path + pairs).encode() + signed_body + key  # raw bytes: never re-serialised
    return hmac.new(key, wrapped, hashlib.sha256).hexdigest()


def webhook_sign(app_key: str, app_secret: str, body: bytes) -> str:
    """The push `Authorization` header: HMAC-SHA256(app_secret, app_key + raw body), hex."""
    return hmac.new(app_secret.encode(), app_key.encode() + body, hashlib.sha256).hexdigest()
