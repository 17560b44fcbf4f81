"""Encryption of secrets at rest (OAuth tokens)."""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken

from services.errors import UserError
from services.settings import get_settings


class SecretUnreadable(UserError):
    """A stored secret was encrypted with another key."""


@lru_cache
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode())


def encrypt(plain: str) -> str:
    return _fernet(get_settings().secret_key).encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(get_settings().secret_key).decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable(
            "A stored Xero token cannot be decrypted with the current SHIPBRIDGE_SECRET_KEY; "
            "reconnect the organisation."
        ) from error
