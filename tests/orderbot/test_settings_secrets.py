"""Secrets in `Settings` stay out of every repr; ORDERBOT_SECRET_KEY must be strong."""

import secrets

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from orderbot.settings import Settings, reveal

SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-secret-bot-token",
    "SLACK_SIGNING_SECRET": "secret-signing-secret",
    "SLACK_APP_TOKEN": "xapp-secret-app-token",
    "ORDERBOT_SECRET_KEY": "secret-key-" + "k9" * 16,
    "ORDERBOT_SECRET_KEY_PREVIOUS": "secret-previous-key",
    "TIKTOK_APP_SECRET": "secret-tiktok-app-secret",
    "TIKTOK_ACCESS_TOKEN": "secret-tiktok-access",
    "TIKTOK_REFRESH_TOKEN": "secret-tiktok-refresh",
    "ETSY_SHARED_SECRET": "secret-etsy-shared",
    "ETSY_ACCESS_TOKEN": "secret-etsy-access",
    "ETSY_REFRESH_TOKEN": "secret-etsy-refresh",
}


def test_no_secret_is_in_the_repr_str_or_dump():
    settings = Settings(_env_file=None, **SECRETS)
    for shown in (repr(settings), str(settings), str(settings.model_dump())):
        assert not [value for value in SECRETS.values() if value in shown]
    assert reveal(settings.slack_bot_token) == SECRETS["SLACK_BOT_TOKEN"]
    assert reveal(settings.secret_key_previous) == SECRETS["ORDERBOT_SECRET_KEY_PREVIOUS"]


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("a", "is 1 characters long; it needs at least 32"),
        ("test-secret-key-0123456789", "is 26 characters long"),
        ("changeme", "is a placeholder"),
        ("ab" * 20, "has only 2 different characters"),
    ],
)
def test_a_weak_key_is_refused_with_a_clear_message(key, says):
    with pytest.raises(ValidationError) as raised:
        Settings(_env_file=None, ORDERBOT_SECRET_KEY=key)
    message = str(raised.value)
    assert "ORDERBOT_SECRET_KEY" in message and says in message
    assert "secrets.token_urlsafe" in message


@pytest.mark.parametrize(
    "key", [secrets.token_urlsafe(32), Fernet.generate_key().decode(), secrets.token_hex(16)]
)
def test_a_long_random_key_or_a_fernet_key_is_accepted(key):
    assert reveal(Settings(_env_file=None, ORDERBOT_SECRET_KEY=key).secret_key) == key
