"""Secrets at rest (webhook signing secrets, CRM credentials): encrypted with Fernet from the
maintained `cryptography` package (AES-128-CBC with HMAC-SHA256 authentication), keys from the
environment. `FIELD_ENCRYPTION_KEYS` lists Fernet keys, newest first: the first encrypts, every
one decrypts, so a key rotates by putting a new one in front (and `manage.py` nothing: rows
re-encrypt when next saved). A token no key opens is an error, never a silent empty secret.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def _keys() -> MultiFernet:
    keys = settings.FIELD_ENCRYPTION_KEYS
    if not keys:
        raise ImproperlyConfigured("Set FIELD_ENCRYPTION_KEYS (Fernet keys, newest first).")
    return _fernet(tuple(keys))


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    # Built once per key list (a settings change in tests builds another).
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(text: str) -> str:
    """The Fernet token of `text` under the newest key."""
    return _keys().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    """The text of a token made by any configured key. Raises InvalidToken otherwise."""
    return _keys().decrypt(token.encode()).decode()


class EncryptedTextField(models.TextField):
    """Text stored encrypted (tenants.crypto); read back in clear. Never filter on it: equal
    texts give different tokens."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        try:
            return decrypt(value)
        except InvalidToken as exc:
            raise ImproperlyConfigured(
                "A stored secret opens with none of FIELD_ENCRYPTION_KEYS (a key was removed "
                "too early?)."
            ) from exc
