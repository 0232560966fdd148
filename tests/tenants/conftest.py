from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from tenants.models import Role
from tests.conftest import PASSWORD
from tests.tenants.invitations import invite
from tests.tenants.recipes import user_recipe


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


# --- The Django admin (test_admin_*.py) -------------------------------------------------------


@pytest.fixture
def admin_login(client):
    """admin_login(membership_or_user) -> the Django test client, logged in as that user."""

    def login(principal):
        client.force_login(getattr(principal, "user", principal))
        return client

    return login


@pytest.fixture
def email_member(member):
    """email_member(role, email, tenant=...) -> Membership of a user with that email."""

    def make(role, email, **fields):
        return member(role, user_fields={"email": email}, **fields)

    return make


@pytest.fixture
def superuser(db):
    return user_recipe.make(is_superuser=True, is_staff=True)


# --- Invitations (test_api_invitations_*.py) ----------------------------------------------------


@pytest.fixture
def pending(tenant, admin, mailoutbox):
    """(invitation, token) for ivy@example.test as agent, sent by `admin`."""
    return invite(tenant, admin, "ivy@example.test", Role.AGENT, is_senior=True)


# --- Accounts (test_api_auth_*.py) -------------------------------------------------------------


@pytest.fixture
def make_user(db):
    """make_user(**fields) -> User whose password is PASSWORD."""

    def make(**fields):
        user = user_recipe.make(**fields)
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
        return user

    return make


# --- Bad input (test_bad_input_*.py) -----------------------------------------------------------


@pytest.fixture
def world(member, api_client, tenant):
    """What the bad-input tests act on: an owner and an agent of `tenant`, a user already taken,
    a pending invitation's token, and clients (anonymous, the owner's). See bad_input.py."""
    owner = member(Role.OWNER)
    agent = member(Role.AGENT)
    user_recipe.make(email="newcomer@example.test")
    _, token = invite(tenant, owner, "ivy@example.test")
    return SimpleNamespace(
        tenant=tenant,
        owner=owner,
        agent=agent,
        invitation_token=token,
        clients={"anon": APIClient(), "owner": api_client(owner)},
    )
