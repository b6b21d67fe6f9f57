"""Encryption of marketplace tokens at rest (Fernet, key derived from ORDERBOT_SECRET_KEY)."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


class SecretBox:
    def __init__(self, secret_key: str):
        if not secret_key:
            raise ValueError("ORDERBOT_SECRET_KEY is empty")
        digest = hashlib.sha256(secret_key.encode("utf-8")).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise ValueError(
                "stored tokens cannot be decrypted: ORDERBOT_SECRET_KEY differs from the key "
                "they were stored with"
            ) from exc
