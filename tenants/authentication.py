"""Credentials: `Authorization: Bearer <token>` (users) and `Api-Key <key>` (tenant keys).

Both record who is calling in the log context as soon as they succeed.
"""

import binascii
from hmac import compare_digest

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from rest_framework import authentication, exceptions

from config.logging import user_id_var
from tenants.compiled import CompiledQuery


def _printable_ascii(credential: bytes) -> bool:
    """Whether a credential is printable ASCII (no NUL or other control bytes, no UTF-8)."""
    return all(0x21 <= byte <= 0x7E for byte in credential)


class BearerTokenAuthentication(TokenAuthentication):
    """knox tokens as `Authorization: Bearer <token>`, one query per request.

    knox loads every token of the user on each request to delete the expired ones; here only
    the presented token's expiry is checked, and expired tokens are purged by a beat task
    (tenants.tasks.auth_token_purge_expired_task).
    """

    def authenticate_credentials(self, token):
        # knox would pass anything on to a query: bytes that are not UTF-8 escape as a 500, and
        # PostgreSQL refuses NUL in text. Tokens are printable ASCII.
        if not _printable_ascii(token):
            raise exceptions.AuthenticationFailed("Invalid token.")
        user, auth_token = self._knox_authenticate(token.decode("ascii"))
        user_id_var.set(str(user.public_id))
        return user, auth_token

    def _knox_authenticate(self, token: str):
        # knox's TokenAuthentication.authenticate_credentials, step for step, with its query
        # compiled once per process (tenants.compiled): every request with a token runs it, and
        # the ORM builds it for about half a millisecond of CPU each time (bench/RESULTS.md).
        for auth_token in _TOKENS_BY_KEY.fetch(key=token[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(token)
            except (TypeError, binascii.Error) as exc:
                raise exceptions.AuthenticationFailed("Invalid token.") from exc
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed("Invalid token.")

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


# The tokens with the presented key and their users (knox's query), compiled on first use.
_TOKENS_BY_KEY = CompiledQuery(
    lambda key: get_token_model().objects.filter(token_key=key).select_related("user"), key=str
)


class ApiKeyPrincipal:
    """request.user for API-key requests: authenticated, but not a person."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, api_key):
        self.api_key = api_key

    def __str__(self) -> str:
        return f"api-key:{self.api_key.prefix}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request):
        from tenants.services import api_key_authenticate

        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid API key header.")
        if not _printable_ascii(parts[1]):
            raise exceptions.AuthenticationFailed("Invalid API key.")
        raw_key = parts[1].decode("ascii")
        api_key = api_key_authenticate(raw_key=raw_key)
        if api_key is None:
            raise exceptions.AuthenticationFailed("Invalid API key.")
        user_id_var.set(f"api-key:{api_key.prefix}")
        return ApiKeyPrincipal(api_key), api_key

    def authenticate_header(self, request):
        return self.keyword


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Describe `Authorization: Bearer <token>` in the OpenAPI schema."""

    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "Token from auth/token/."}


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Describe `Authorization: Api-Key <key>` in the OpenAPI schema."""

    target_class = ApiKeyAuthentication
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'Tenant API key, sent as "Api-Key <key>".',
        }
