"""Marketplace OAuth tokens, where they are kept, and the refresh-and-resend auth flow."""

import threading
from abc import ABC, abstractmethod
from collections.abc import Generator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

import httpx

from sync.clock import Clock
from sync.errors import AuthFailed


@dataclass
class Tokens:
    # Out of the repr, so a token never reaches a log line through one.
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    access_expires_at: datetime | None
    refresh_expires_at: datetime | None = None
    # When orderbot got this token from a refresh (or found it freshly stored by another
    # instance), by its own clock. Not stored: tokens loaded at start have none, and get the
    # plain margin once; every refresh stamps what it brings. Not part of equality.
    issued_at: datetime | None = field(default=None, compare=False)

    def access_due(self, now: datetime, margin: timedelta) -> bool:
        """Whether to refresh before the next call: `margin` before the stated expiry, but at
        most a tenth of the lifetime the token had when it was issued, so a short-lived token
        (or one whose expiry the platform's clock puts early) is not refreshed on every call.

        A token that was already past its expiry, by our clock, when it was issued is never
        due: refreshing again would bring the same, so the platform's own "expired" answer
        decides (one refresh, then a resend). Without `issued_at` the plain margin applies.
        """
        expires = self.access_expires_at
        if expires is None:
            return False
        if self.issued_at is None:
            return expires - margin <= now
        lifetime = expires - self.issued_at
        if lifetime <= timedelta(0):
            return False
        return expires - min(margin, lifetime / 10) <= now


class TokenStore(Protocol):
    def load(self) -> Tokens | None: ...

    def save(self, tokens: Tokens) -> None: ...


class MemoryTokenStore:
    """Keeps tokens in memory: for tests and one-off runs."""

    def __init__(self, initial: Tokens | None = None) -> None:
        self._tokens = initial

    def load(self) -> Tokens | None:
        return self._tokens

    def save(self, tokens: Tokens) -> None:
        self._tokens = tokens


class RefreshingAuth(httpx.Auth, ABC):
    """Puts the access token on each request; refreshes it before it expires, and once when the
    platform answers that it has expired, then resends. New tokens are saved to the store.

    Subclasses say how a request is authorised, what an expired-token answer looks like, and how
    the refresh call is made and read.
    """

    requires_response_body = True  # TikTok says "expired" in the JSON body
    platform: str
    margin = timedelta(minutes=5)  # refresh this long before the stated expiry (at most)

    def __init__(self, store: TokenStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: Tokens | None = None

    @abstractmethod
    def prepare(self, request: httpx.Request, tokens: Tokens) -> None:
        """Authorise `request` in place with `tokens` (called again before a resend)."""

    @abstractmethod
    def expired(self, response: httpx.Response) -> bool:
        """Whether the answer says the access token has expired."""

    @abstractmethod
    def refresh_request(self, tokens: Tokens) -> httpx.Request:
        """The platform's refresh-token call."""

    @abstractmethod
    def read_refresh(self, response: httpx.Response, old: Tokens) -> Tokens:
        """New tokens from the refresh answer; raises `AuthFailed` or `Retry`."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        tokens = self._current()
        if tokens.access_due(self._clock(), self.margin):
            tokens = yield from self._refresh(tokens)
        self.prepare(request, tokens)
        response = yield request
        if self.expired(response):
            tokens = yield from self._refresh(tokens)
            self.prepare(request, tokens)
            yield request

    def _current(self) -> Tokens:
        with self._lock:
            if self._tokens is None:
                self._tokens = self._store.load()
            if self._tokens is None:
                raise AuthFailed(self.platform, "no tokens stored; authorise the app first")
            return self._tokens

    def _stamped(self, tokens: Tokens | None) -> Tokens | None:
        """Tokens another thread or instance has just stored count their lifetime from now.
        One already expired by our clock keeps no stamp, so it is refreshed before the next
        call, once: what that refresh brings is stamped."""
        if tokens is None or tokens.issued_at is not None:
            return tokens
        now = self._clock()
        expires = tokens.access_expires_at
        if expires is None or expires <= now:
            return tokens
        return replace(tokens, issued_at=now)

    def _refresh(self, stale: Tokens) -> Generator[httpx.Request, httpx.Response, Tokens]:
        # One refresh at a time: refresh tokens may rotate, so a second concurrent refresh
        # with the old one would fail.
        with self._lock:
            latest = self._stamped(self._store.load()) or stale
            if latest.access_token != stale.access_token:
                self._tokens = latest  # another thread or instance refreshed meanwhile
                return latest
            if not latest.refresh_token:
                raise AuthFailed(self.platform, "access token expired and no refresh token")
            expiry = latest.refresh_expires_at
            if expiry is not None and expiry <= self._clock():
                raise AuthFailed(self.platform, "refresh token expired; authorise the app again")
            response = yield self.refresh_request(latest)
            fresh = self.read_refresh(response, latest)
            if fresh.issued_at is None:
                fresh = replace(fresh, issued_at=self._clock())
            self._store.save(fresh)
            self._tokens = fresh
            return fresh
