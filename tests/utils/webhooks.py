"""TikTok Shop pushes, signed as TikTok signs them (or with the wrong secret, for a forgery)."""

import json

from sync.webhook import sign


def signed_push(app_key: str, app_secret: str, payload: dict) -> tuple[bytes, dict]:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return body, {
        "content-type": "application/json",
        "Authorization": sign(app_key, app_secret, body),
    }
