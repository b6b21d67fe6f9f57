"""Opaque page tokens over a result set frozen when its first page is served.

The docs say nothing of how TikTok keeps paging stable while orders change; the emulator keeps
the matching ids (in order) at the first page, so every id comes back exactly once however the
orders move meanwhile; each page shows the orders as they are now. A token is bound to its
query (filters, sort), carries an HMAC so it cannot be forged, and expires when its snapshot is
evicted (the oldest of `keep`).
"""

import base64
import hashlib
import hmac
import itertools
import json
import threading
from collections import OrderedDict
from collections.abc import Callable


class BadPageToken(ValueError):
    pass


class Pager:
    def __init__(self, secret: bytes, keep: int = 256):
        self._secret = secret
        self._keep = keep
        self._snapshots: OrderedDict[int, list[str]] = OrderedDict()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def page(
        self, matching: Callable[[], list[str]], query: dict, size: int, token: str | None
    ) -> tuple[list[str], str, int]:
        """(ids of this page, next_page_token or "", total_count).

        `matching()` gives the current full result; it is asked only for a first page."""
        fingerprint = _fingerprint(query)
        if token:
            snapshot_id, offset = self._open(token, fingerprint)
            with self._lock:
                ids = self._snapshots.get(snapshot_id)
            if ids is None:
                raise BadPageToken("page_token has expired")
        else:
            snapshot_id, offset, ids = None, 0, matching()
        end = offset + size
        if end >= len(ids):
            return ids[offset:], "", len(ids)
        if snapshot_id is None:
            snapshot_id = self._keep_snapshot(ids)
        return ids[offset:end], self._seal(snapshot_id, end, fingerprint), len(ids)

    def _keep_snapshot(self, ids: list[str]) -> int:
        with self._lock:
            snapshot_id = next(self._ids)
            self._snapshots[snapshot_id] = ids
            while len(self._snapshots) > self._keep:
                self._snapshots.popitem(last=False)
            return snapshot_id

    def _seal(self, snapshot_id: int, offset: int, fingerprint: str) -> str:
        payload = f"{snapshot_id}:{offset}:{fingerprint}".encode()
        mac = hmac.new(self._secret, payload, hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(payload + mac).decode().rstrip("=")

    def _open(self, token: str, fingerprint: str) -> tuple[int, int]:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            payload, mac = raw[:-12], raw[-12:]
            snapshot_id, offset, bound_to = payload.decode().split(":")
            position = int(snapshot_id), int(offset)
        except ValueError as error:  # bad base64, bytes or numbers
            raise BadPageToken("page_token is invalid") from error
        expected = hmac.new(self._secret, payload, hashlib.sha256).digest()[:12]
        if not hmac.compare_digest(mac, expected):
            raise BadPageToken("page_token is invalid")
        if bound_to != fingerprint:
            raise BadPageToken("page_token does not belong to this query")
        return position


def _fingerprint(query: dict) -> str:
    canonical = json.dumps(query, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
