import pytest

from tenants.models import Role


@pytest.fixture
def client(member, api_client):
    return api_client(member(Role.AGENT))
