"""Marketplace tokens kept in the database, encrypted; the first ones come from settings."""

import hashlib

from storage import queries
from storage.db import SessionFactory, transaction
from storage.secrets import SecretBox
from sync.clock import Clock, as_utc, utc_now
from sync.tokens import Tokens


def fingerprint(tokens: Tokens | None) -> str | None:
    if tokens is None:
        return None
    raw = f"{tokens.access_token}\0{tokens.refresh_token or ''}".encode()
    return hashlib.sha256(raw).hexdigest()


class StoredTokens:
    """A `TokenStore`: refreshed tokens are saved at once, so the next process uses them.

    Stored tokens win over the settings' first ones, unless the settings hold tokens that the
    stored ones do not descend from: the seller authorised the app again (a spent refresh
    token can only be replaced that way)."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        shop_id: int,
        platform: str,
        box: SecretBox,
        initial: Tokens | None,
        clock: Clock = utc_now,
    ):
        self._sessions = sessions
        self._shop_id = shop_id
        self._platform = platform
        self._box = box
        self._initial = initial
        self._clock = clock

    def load(self) -> Tokens | None:
        with self._sessions() as session:
            stored = queries.get_credential(session, shop_id=self._shop_id, platform=self._platform)
        if stored is None:
            return self._initial
        seed = fingerprint(self._initial)
        if seed is not None and stored.seeded_from not in (None, seed):
            return self._initial
        return Tokens(
            access_token=self._box.open(stored.access_token),
            refresh_token=self._box.open(stored.refresh_token) if stored.refresh_token else None,
            access_expires_at=as_utc(stored.access_expires_at),
            refresh_expires_at=as_utc(stored.refresh_expires_at),
        )

    def save(self, tokens: Tokens) -> None:
        with transaction(self._sessions) as session:
            queries.save_credential(
                session,
                shop_id=self._shop_id,
                platform=self._platform,
                access_token=self._box.seal(tokens.access_token),
                refresh_token=self._box.seal(tokens.refresh_token)
                if tokens.refresh_token
                else None,
                access_expires_at=tokens.access_expires_at,
                refresh_expires_at=tokens.refresh_expires_at,
                now=self._clock(),
                seeded_from=fingerprint(self._initial),
            )
