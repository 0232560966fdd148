"""Fixtures of the attachment tests: a throwaway media root (autouse), an agent, a ticket."""

import pytest

from tenants.models import Role
from tests.tickets.attachments.helpers import make_attachment, make_ticket


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def agent(member):
    return member(Role.AGENT)


@pytest.fixture
def agent_client(api_client, agent):
    return api_client(agent)


@pytest.fixture
def ticket(tenant):
    return make_ticket(tenant)


@pytest.fixture
def foreign(other_tenant):
    """Tenant B's ticket (a number only B has) with one attachment."""
    make_ticket(other_tenant, "B one")
    ticket = make_ticket(other_tenant, "B two")
    return ticket, make_attachment(other_tenant, ticket, content=b"secret of B")
