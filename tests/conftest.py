import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import connections, transaction
from django.test.utils import setup_databases, teardown_databases
from rest_framework.test import APIClient

from tenants import services
from tenants.access import Actor
from tenants.context import current_tenant_id, tenant_context
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


def make_member(role: str, *, tenant, **fields):
    """A Membership of `tenant` with a user whose password is PASSWORD (the `member` fixture's
    maker, for fixtures wider than a test)."""
    user = user_recipe.make(**fields.pop("user_fields", {}))
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return membership_recipe.make(user=user, tenant=tenant, role=role, **fields)


@pytest.fixture
def member(db, tenant):
    """member(role, tenant=..., **fields) -> Membership (with a user whose password is PASSWORD)."""

    def make(role: str, tenant=tenant, **fields):
        return make_member(role, tenant=tenant, **fields)

    return make


# --- Worlds built once per module ----------------------------------------------------------
#
# A module whose tests all need the same expensive data (and none is transactional) builds it
# once: inside a transaction opened on both aliases for the whole module, which every test's
# own `db` transaction nests in as a savepoint (rolled back after the test, as always), and
# which is rolled back at the module's end. Nothing is ever committed.

WORLD_ALIASES = ("default", "owner")


def assert_no_tenant_context_left(aliases=WORLD_ALIASES) -> None:
    """Nothing of a tenant context is set, in Python or on the connections: a world built
    inside the module's transaction must not leave a tenant (or its role) applied for the
    tests, where it would hide a missing tenant_context (an isolation bug). A test checks the
    aliases it may query ("default" unless its django_db mark says more)."""
    assert current_tenant_id() is None
    for alias in aliases:
        with connections[alias].cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(current_setting('app.tenant_id', true), ''), "
                "current_user = session_user"
            )
            assert cursor.fetchone() == ("", True), alias


def world_for_test(world):
    """A test's own deep copies of its module's world (the objects are the test's to change),
    after checking that no tenant context is left applied on its connection."""
    assert_no_tenant_context_left(aliases=["default"])
    return copy.deepcopy(world)


@contextmanager
def module_world(django_db_blocker, build: Callable[[], object]) -> Iterator[object]:
    """For a module-scoped fixture: `with module_world(django_db_blocker, build) as world:
    yield world`.

    Opens the module's transaction on every alias, builds the world in it (database access is
    unblocked only for the build and the final rollback, never for the tests themselves),
    checks no tenant context is left applied, yields the world and rolls everything back.
    """
    atomics = []

    def rollback():
        with django_db_blocker.unblock():
            for alias, atomic in reversed(atomics):
                transaction.set_rollback(True, using=alias)
                atomic.__exit__(None, None, None)

    with django_db_blocker.unblock():
        try:
            for alias in WORLD_ALIASES:
                atomic = transaction.atomic(using=alias)
                atomic._from_testcase = True  # a test's transaction, as Django's TestCase marks
                atomic.__enter__()
                atomics.append((alias, atomic))
            world = build()
            assert_no_tenant_context_left()
        except BaseException:
            rollback()
            raise
    try:
        yield world
    finally:
        rollback()


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
