"""Fixtures shared by the tickets tests (so far: the attachment tests)."""

import pytest

from tenants.models import Role
from tests.tickets.helpers import make_ticket


@pytest.fixture
def media(settings, tmp_path):
    """Files stored under a fresh MEDIA_ROOT (the attachment tests use it for every test)."""
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
