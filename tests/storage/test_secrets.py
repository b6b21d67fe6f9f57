"""SecretBox: tokens sealed with ORDERBOT_SECRET_KEY, and refused under another key."""

import pytest

from storage.secrets import SecretBox, SecretKeyMismatch


def test_secret_box_round_trips_and_refuses_another_key():
    sealed = SecretBox("key-one").seal("token-value")
    assert "token-value" not in sealed
    assert SecretBox("key-one").open(sealed) == "token-value"
    with pytest.raises(SecretKeyMismatch, match="ORDERBOT_SECRET_KEY"):
        SecretBox("key-two").open(sealed)
