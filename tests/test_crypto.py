"""Secrets at rest (tenants.crypto): stored encrypted, read back in clear, keys rotate."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from integrations.models import WebhookEndpoint
from tenants.context import tenant_context
from tenants.crypto import decrypt, encrypt

pytestmark = pytest.mark.django_db

SECRET = "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ=="


def _endpoint(tenant):
    with tenant_context(tenant):
        return WebhookEndpoint.objects.create(
            tenant=tenant, url="https://hooks.example.com/a", events=["*"], secret=SECRET
        )


def _stored(tenant, pk) -> str:
    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM integrations_webhookendpoint WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_a_secret_is_stored_encrypted_and_read_back_in_clear(tenant):
    endpoint = _endpoint(tenant)

    raw = _stored(tenant, endpoint.pk)
    with tenant_context(tenant):
        read = WebhookEndpoint.objects.get(pk=endpoint.pk).secret

    assert SECRET not in raw
    assert "c2VjcmV0" not in raw
    assert read == SECRET


def test_equal_secrets_give_different_tokens():
    assert encrypt(SECRET) != encrypt(SECRET)


def test_a_new_key_in_front_still_reads_rows_of_the_old_key(tenant, settings):
    endpoint = _endpoint(tenant)
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]

    with tenant_context(tenant):
        assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == SECRET
    assert decrypt(encrypt("x")) == "x"


def test_a_row_no_key_opens_is_an_error_not_an_empty_secret(tenant, settings):
    endpoint = _endpoint(tenant)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with tenant_context(tenant), pytest.raises(ImproperlyConfigured, match="opens with none"):
        WebhookEndpoint.objects.get(pk=endpoint.pk)


def test_without_keys_nothing_is_encrypted(settings):
    settings.FIELD_ENCRYPTION_KEYS = []

    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEYS"):
        encrypt(SECRET)
