"""Single-use, expiring tokens for emailed account links: password reset, email verification.

Django's PasswordResetTokenGenerator does the cryptography (an HMAC with SECRET_KEY, checked
in constant time against SECRET_KEY_FALLBACKS too, and a timestamp). A token is single-use
because the HMAC covers the state the link changes: the password hash (and last login) for a
reset, the verification time for a verification link. Nothing is stored: a link's token is
`<user public id, base64url>.<Django token>`, and it appears only in the email.
"""

import hashlib
import uuid
from typing import Literal

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode

from tenants.models import User


def secret_digest(secret: str) -> str:
    """The SHA-256 (hex) a stored secret is kept as: API keys, invitation tokens. Both are
    high-entropy random strings, so a fast hash is enough (no password hashing needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


# Well above a real token (22 + 1 + ~40 characters); anything longer is not worth decoding.
MAX_TOKEN_LENGTH = 200

Purpose = Literal["password_reset", "email_verification"]


class _LinkTokenGenerator(PasswordResetTokenGenerator):
    """Django's generator, with the lifetime read from `timeout_setting`."""

    timeout_setting = "PASSWORD_RESET_TIMEOUT"

    def check_token(self, user, token) -> bool:
        # Django's check_token(), except for which setting bounds the token's age.
        try:
            ts_b36, _ = token.split("-")
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return False
        for secret in [self.secret, *self.secret_fallbacks]:
            expected = self._make_token_with_timestamp(user, timestamp, secret)
            if constant_time_compare(expected, token):
                break
        else:
            return False
        age = self._num_seconds(self._now()) - timestamp
        return 0 <= age <= getattr(settings, self.timeout_setting)


class PasswordResetTokens(_LinkTokenGenerator):
    """Changes with the password hash, the last login and the email: used once, then void."""

    key_salt = "tenants.tokens.PasswordResetTokens"
    timeout_setting = "PASSWORD_RESET_TIMEOUT"


class EmailVerificationTokens(_LinkTokenGenerator):
    """Changes once the address is verified (or replaced): used once, then void."""

    key_salt = "tenants.tokens.EmailVerificationTokens"
    timeout_setting = "EMAIL_VERIFICATION_TIMEOUT"

    def _make_hash_value(self, user, timestamp):
        verified = "" if user.email_verified_at is None else user.email_verified_at.isoformat()
        return f"{user.pk}{user.email}{verified}{timestamp}"


_GENERATORS: dict[str, _LinkTokenGenerator] = {
    "password_reset": PasswordResetTokens(),
    "email_verification": EmailVerificationTokens(),
}


def link_token_make(*, user: User, purpose: Purpose) -> str:
    """Return a fresh token for an emailed link to `user` (never stored anywhere)."""
    uid = urlsafe_base64_encode(user.public_id.bytes)
    return f"{uid}.{_GENERATORS[purpose].make_token(user)}"


def link_token_user(*, token: object, purpose: Purpose, lock: bool = False) -> User | None:
    """Return the active user a valid, unexpired, unused token was made for; else None.

    Malformed, tampered, expired and used tokens are all just None. With `lock`, the user row
    is locked before the token is checked (call inside a transaction), so two requests with
    one token cannot both use it.
    """
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        return None
    uid, _, django_token = token.partition(".")
    if not uid or not django_token:
        return None
    try:
        public_id = uuid.UUID(bytes=urlsafe_base64_decode(uid))
    except ValueError:  # not base64 (UnicodeEncodeError included), or not 16 bytes
        return None
    users = User.objects.filter(public_id=public_id, is_active=True)
    if lock:
        users = users.select_for_update()
    user = users.first()
    if user is None or not _GENERATORS[purpose].check_token(user, django_token):
        return None
    return user
