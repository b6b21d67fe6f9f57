"""Encryption of marketplace tokens at rest: Fernet, with keys derived from ORDERBOT_SECRET_KEY.

The Fernet key is derived with HKDF-SHA256 and a fixed application salt. The setting must be a
long random value (checked where settings are read), which is what HKDF is made for.

Opening also tries, in this order: the derivation used before (one unsalted SHA-256 of the
setting, so tokens stored by earlier versions still open) and, when set, both derivations of
ORDERBOT_SECRET_KEY_PREVIOUS (rotation: the new key in ORDERBOT_SECRET_KEY, the old one in
ORDERBOT_SECRET_KEY_PREVIOUS). Sealing always uses ORDERBOT_SECRET_KEY, so every token is
re-encrypted with it the next time it is saved (at its next refresh); each older key that
opened something is logged once.
"""

import base64
import hashlib
import logging

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from storage.errors import ConfigError

KEY_SETTING = "ORDERBOT_SECRET_KEY"
PREVIOUS_KEY_SETTING = "ORDERBOT_SECRET_KEY_PREVIOUS"
_SALT = b"orderbot/stored-marketplace-tokens/v1"  # fixed: the same key derives the same key
_INFO = b"fernet"

log = logging.getLogger(__name__)


class SecretKeyMismatch(ConfigError):
    """Stored tokens that no configured key opens."""


def fernet_key(secret_key: str) -> bytes:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO)
    return base64.urlsafe_b64encode(derived.derive(secret_key.encode("utf-8")))


def legacy_fernet_key(secret_key: str) -> bytes:
    """How keys were derived before HKDF (tokens stored then still open with it)."""
    return base64.urlsafe_b64encode(hashlib.sha256(secret_key.encode("utf-8")).digest())


class SecretBox:
    def __init__(self, secret_key: str, previous: str | None = None):
        if not secret_key:
            raise ValueError(f"{KEY_SETTING} is empty")
        self._current = Fernet(fernet_key(secret_key))
        older = [(f"the earlier derivation of {KEY_SETTING}", legacy_fernet_key(secret_key))]
        if previous:
            older += [
                (PREVIOUS_KEY_SETTING, fernet_key(previous)),
                (f"the earlier derivation of {PREVIOUS_KEY_SETTING}", legacy_fernet_key(previous)),
            ]
        self._older = [(name, Fernet(key)) for name, key in older]
        self._told: set[str] = set()
        self._has_previous = bool(previous)

    def seal(self, plaintext: str) -> str:
        return self._current.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str:
        token = sealed.encode("ascii")
        for name, fernet in [(KEY_SETTING, self._current), *self._older]:
            try:
                plaintext = fernet.decrypt(token)
            except InvalidToken:
                continue
            if name != KEY_SETTING and name not in self._told:
                self._told.add(name)
                log.info(
                    "stored tokens opened with %s; they are encrypted with %s when next saved",
                    name,
                    KEY_SETTING,
                )
            return plaintext.decode("utf-8")
        raise SecretKeyMismatch(self._mismatch())

    def _mismatch(self) -> str:
        tried = f"{KEY_SETTING} or {PREVIOUS_KEY_SETTING}" if self._has_previous else KEY_SETTING
        return (
            f"the stored marketplace tokens cannot be decrypted with {tried}: they were "
            f"stored with another key. Set {PREVIOUS_KEY_SETTING} to the key they were stored "
            "with, or authorise the app again and put the new tokens in the settings."
        )
