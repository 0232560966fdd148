import pytest
from django.db import connections
from django.test.utils import setup_databases, teardown_databases
from rest_framework.test import APIClient

from tenants import services
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tests.tenants.recipes import membership_recipe, tenant_recipe, user_recipe

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="session")
def django_db_setup(
    request, django_test_environment, django_db_blocker, django_db_modify_db_settings
):
    """Create the test database as the owner role; the runtime role ('default') mirrors it.

    pytest-django only sets up the aliases tests ask for; 'default' is a mirror, so the owner
    alias that really creates (and migrates) the database must always be included.
    """
    with django_db_blocker.unblock():
        config = setup_databases(verbosity=0, interactive=False, aliases={"default", "owner"})
    yield
    with django_db_blocker.unblock():
        # Connections of the runtime role (the mirror, worker threads) would block DROP DATABASE.
        with connections["owner"].cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        connections.close_all()
        teardown_databases(config, verbosity=0)


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _results_may_be_awaited():
    """An in-process Celery worker (the integration tests) marks the process as one where
    waiting on a task result would block, a global flag that can outlive it (its pool may set
    it after the worker reported ready): every test starts with eager results awaitable."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    yield


@pytest.fixture(autouse=True)
def _broker_breaker_closed():
    """A test that takes the broker down trips the process's breaker; the next test starts
    with it closed."""
    from tenants.tasks_base import _BrokerBreaker

    _BrokerBreaker.reset()
    yield
    _BrokerBreaker.reset()


@pytest.fixture
def tenant(db):
    return tenant_recipe.make(slug="alpha", name="Alpha Co")


@pytest.fixture
def other_tenant(db):
    return tenant_recipe.make(slug="bravo", name="Bravo Co")


@pytest.fixture
def member(db, tenant):
    """member(role, tenant=..., **fields) -> Membership (with a user whose password is PASSWORD)."""

    def make(role: str, tenant=tenant, **fields):
        user = user_recipe.make(**fields.pop("user_fields", {}))
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
        return membership_recipe.make(user=user, tenant=tenant, role=role, **fields)

    return make


def _bearer_client(user) -> APIClient:
    _, token = services.auth_token_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def api_client():
    """api_client(membership_or_user) -> APIClient authenticated with a bearer token."""

    def make(principal) -> APIClient:
        return _bearer_client(getattr(principal, "user", principal))

    return make


@pytest.fixture
def api_key_client(db):
    """api_key_client(tenant, role) -> (APIClient with `Api-Key`, ApiKey).

    Like every key, it is created by a person: a fresh admin of `tenant` (its `created_by`).
    """

    def make(tenant, role: str):
        creator = membership_recipe.make(tenant=tenant, role=Role.ADMIN)
        api_key, raw = services.api_key_create(
            tenant=tenant,
            actor=Actor(user=creator.user, role=creator.role),
            name=f"{role} key",
            role=role,
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
        return client, api_key

    return make


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def in_tenant():
    """Context manager to create/read tenant-owned rows as `tenant` (RLS needs it)."""
    return tenant_context
