"""Rotating ORDERBOT_SECRET_KEY: stored tokens open with the previous key and are encrypted with
the new one at their next save (`sync.credentials.StoredTokens`)."""

from datetime import UTC, datetime

import pytest

from storage import queries
from storage.db import transaction
from storage.secrets import SecretBox, SecretKeyMismatch
from sync.credentials import StoredTokens
from sync.tokens import Tokens

OLD = "old-key-" + "o1" * 16
NEW = "new-key-" + "n2" * 16
NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def shop_id(sessions):
    with transaction(sessions) as session:
        return queries.ensure_shop(session, name="TikTok Shop", etsy_shop_id="1").id


def store(sessions, shop_id, box) -> StoredTokens:
    return StoredTokens(
        sessions=sessions,
        shop_id=shop_id,
        platform="etsy",
        box=box,
        initial=None,
        clock=lambda: NOW,
    )


def stored_row(sessions, shop_id):
    with sessions() as session:
        return queries.get_credential(session, shop_id=shop_id, platform="etsy")


def test_rotation_reads_with_the_previous_key_and_saves_with_the_new(sessions, shop_id):
    first = Tokens("access-1", "refresh-1", None)
    store(sessions, shop_id, SecretBox(OLD)).save(first)

    rotating = store(sessions, shop_id, SecretBox(NEW, previous=OLD))
    assert rotating.load() == first
    with pytest.raises(SecretKeyMismatch):  # not yet re-encrypted: the previous key is needed
        SecretBox(NEW).open(stored_row(sessions, shop_id).access_token)

    refreshed = Tokens("access-2", "refresh-2", None)
    rotating.save(refreshed)  # the next refresh
    assert store(sessions, shop_id, SecretBox(NEW)).load() == refreshed


def test_a_changed_key_without_the_previous_one_is_a_clear_error(sessions, shop_id):
    store(sessions, shop_id, SecretBox(OLD)).save(Tokens("access-1", "refresh-1", None))
    with pytest.raises(SecretKeyMismatch, match="ORDERBOT_SECRET_KEY_PREVIOUS"):
        store(sessions, shop_id, SecretBox(NEW)).load()
