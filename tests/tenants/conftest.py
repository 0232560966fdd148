import pytest

from tenants.models import Role


@pytest.fixture
def owner(member):
    return member(Role.OWNER)


@pytest.fixture
def owner_client(api_client, owner):
    return api_client(owner)


@pytest.fixture
def admin(member):
    return member(Role.ADMIN)


@pytest.fixture
def admin_client(api_client, admin):
    return api_client(admin)
