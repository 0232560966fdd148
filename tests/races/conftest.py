"""Shared pieces of the race tests: a world of tenant objects built through the services, API
clients per role, and reading an outcome (a response, or the exception a thread raised)."""

from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tickets import services


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    # Every race test gets its own storage directory: orphan files are counted in it.
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def admin(member):
    return member(Role.ADMIN)


def outcome(result):
    """A response's (status, code) or, for an exception a thread raised, its class name."""
    if isinstance(result, Exception):
        return type(result).__name__
    body = (
        result.json()
        if result.content and result["Content-Type"].startswith("application/json")
        else {}
    )
    return result.status_code, body.get("code") if isinstance(body, dict) else None


def status(result):
    """A response's status code, or the class name of the exception a thread raised."""
    return type(result).__name__ if isinstance(result, Exception) else result.status_code


@pytest.fixture
def build(tenant, admin):
    """The objects the race tests act on, created through the services as `admin`."""
    actor = Actor(user=admin.user, role=Role.ADMIN)

    def make(*, attachment: bool = False) -> SimpleNamespace:
        with tenant_context(tenant):
            alice = services.customer_create(
                tenant=tenant, actor=actor, email="alice@example.test", name="Alice Liddell"
            )
            ticket = services.ticket_create(
                tenant=tenant, actor=actor, subject="Alice's first", requester=alice
            )
            other = services.ticket_create(
                tenant=tenant, actor=actor, subject="Bob's", customer_email="bob@example.test"
            )
            world = SimpleNamespace(actor=actor, alice=alice, ticket=ticket, other=other)
            if attachment:
                world.attachment = services.attachment_create(
                    tenant=tenant,
                    actor=actor,
                    ticket=ticket,
                    file=ContentFile(b"hello", name="a.txt"),
                    filename="a.txt",
                    content_type="text/plain",
                )
        return world

    return make
