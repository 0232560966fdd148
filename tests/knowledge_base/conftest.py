import pytest

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role


@pytest.fixture
def editor(member):
    """An agent of the tenant, as an Actor."""
    agent = member(Role.AGENT)
    return Actor(user=agent.user, role=agent.role)


@pytest.fixture
def supervisor(member):
    boss = member(Role.SUPERVISOR)
    return Actor(user=boss.user, role=boss.role)


@pytest.fixture
def in_alpha(tenant):
    with tenant_context(tenant):
        yield
