"""Stored tokens: a key derived with HKDF, the earlier derivation still opening, key rotation,
and a typed, user-facing error when no configured key opens them (security review 4 and 6)."""

import base64
import hashlib
import logging

import pytest
from cryptography.fernet import Fernet, InvalidToken

from storage.errors import ConfigError
from storage.secrets import SecretBox, SecretKeyMismatch, fernet_key, legacy_fernet_key

OLD = "old-key-" + "o1" * 16
NEW = "new-key-" + "n2" * 16


def sealed_before_hkdf(secret_key: str, plaintext: str) -> str:
    """What earlier versions stored: Fernet keyed with one SHA-256 of the setting."""
    key = base64.urlsafe_b64encode(hashlib.sha256(secret_key.encode()).digest())
    return Fernet(key).encrypt(plaintext.encode()).decode()


def test_tokens_are_sealed_with_the_hkdf_key_not_the_single_sha256():
    sealed = SecretBox(NEW).seal("token-value")
    assert Fernet(fernet_key(NEW)).decrypt(sealed.encode()) == b"token-value"
    with pytest.raises(InvalidToken):
        Fernet(legacy_fernet_key(NEW)).decrypt(sealed.encode())
    assert fernet_key(NEW) == fernet_key(NEW) != fernet_key(OLD)  # fixed salt: reproducible


def test_tokens_stored_the_old_way_still_open_and_say_so(caplog):
    old_style = sealed_before_hkdf(NEW, "token-value")
    box = SecretBox(NEW)
    with caplog.at_level(logging.INFO, logger="storage.secrets"):
        assert box.open(old_style) == "token-value"
        assert box.open(old_style) == "token-value"
    (said,) = [r.getMessage() for r in caplog.records if r.name == "storage.secrets"]
    assert "earlier derivation of ORDERBOT_SECRET_KEY" in said and "when next saved" in said


@pytest.mark.parametrize("stored_with", ["hkdf", "before hkdf"])
def test_a_previous_key_opens_what_it_sealed_and_the_new_key_seals(stored_with):
    if stored_with == "hkdf":
        sealed = SecretBox(OLD).seal("token-value")
    else:
        sealed = sealed_before_hkdf(OLD, "token-value")
    rotating = SecretBox(NEW, previous=OLD)
    assert rotating.open(sealed) == "token-value"
    resealed = rotating.seal("token-value")
    assert SecretBox(NEW).open(resealed) == "token-value"  # the previous key can go now
    with pytest.raises(SecretKeyMismatch):
        SecretBox(OLD).open(resealed)


def test_no_configured_key_is_a_configuration_error_naming_the_settings():
    sealed = SecretBox(OLD).seal("token-value")
    with pytest.raises(SecretKeyMismatch) as raised:
        SecretBox(NEW).open(sealed)
    assert isinstance(raised.value, ConfigError) and not isinstance(raised.value, ValueError)
    message = str(raised.value)
    assert "ORDERBOT_SECRET_KEY" in message and "ORDERBOT_SECRET_KEY_PREVIOUS" in message
    assert OLD not in message and NEW not in message
    with pytest.raises(SecretKeyMismatch, match="ORDERBOT_SECRET_KEY or ORDERBOT_SECRET_KEY_PREV"):
        SecretBox(NEW, previous="another-" + "a3" * 16).open(sealed)
