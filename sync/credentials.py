"""Marketplace tokens kept in the database, encrypted; the first ones come from settings."""

from storage import queries
from storage.db import SessionFactory, transaction
from storage.secrets import SecretBox
from sync.clock import Clock, as_utc, utc_now
from sync.tokens import Tokens


class StoredTokens:
    """A `TokenStore`: refreshed tokens are saved at once, so the next process uses them."""

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
            )
