"""The platform-only pages of the Django admin (users, tenants): refused to tenant admins and
owners, open to superusers, whose tenant changes go through the service and who may act for any
tenant."""

import pytest

from tenants.models import User
from tests.conftest import PASSWORD
from tests.tenants.admin_pages import (
    ACTING,
    ADMIN,
    MEMBERS,
    TENANTS,
    USERS,
    audit_actions,
    change_url,
)

pytestmark = pytest.mark.django_db


# --- Platform-only admins ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "owner"])
@pytest.mark.parametrize("url", [USERS, TENANTS])
def test_tenant_admins_cannot_open_platform_admins(admin_login, member, role, url):
    client = admin_login(member(role))

    assert client.get(url).status_code == 403
    index = client.get(ADMIN).content.decode()
    assert USERS not in index
    assert TENANTS not in index


@pytest.mark.parametrize("url", [USERS, TENANTS])
def test_superuser_opens_platform_admins(admin_login, superuser, member, url):
    member("agent")

    response = admin_login(superuser).get(url)

    assert response.status_code == 200
    assert superuser.is_superuser


def test_superuser_user_pages_render(admin_login, superuser, member):
    agent = member("agent")
    client = admin_login(superuser)

    assert client.get(f"{USERS}add/").status_code == 200
    assert client.get(change_url(USERS, agent.user)).status_code == 200


def test_superuser_adds_a_user(admin_login, superuser):
    client = admin_login(superuser)

    response = client.post(
        f"{USERS}add/",
        {
            "email": "New@Example.test",
            "name": "New",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "usable_password": "true",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.filter(email__iexact="new@example.test").exists()


def test_superuser_tenant_change_goes_through_the_service(
    admin_login, superuser, tenant, in_tenant
):
    client = admin_login(superuser)
    page = client.get(change_url(TENANTS, tenant))
    assert page.status_code == 200

    response = client.post(
        change_url(TENANTS, tenant),
        {"name": "Alpha Renamed", "timezone": "Europe/Paris", "settings": "{}", "_save": "Save"},
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    tenant.refresh_from_db()
    assert tenant.name == "Alpha Renamed"
    assert audit_actions(tenant, in_tenant, action="tenant.updated") == ["tenant.updated"]


def test_tenants_are_not_added_through_the_admin(admin_login, superuser):
    assert admin_login(superuser).get(f"{TENANTS}add/").status_code == 403


def test_superuser_acts_for_any_tenant(admin_login, superuser, member, tenant, in_tenant):
    member("agent")
    client = admin_login(superuser)
    before = client.get(MEMBERS)  # no acting tenant yet: choose one first

    assert client.post(ACTING, {"tenant": str(tenant.pk)}).status_code == 302

    assert before.status_code == 302 and before.url.startswith(ACTING)
    assert client.get(MEMBERS).status_code == 200
    # Staff acting in a tenant they do not belong to is in that tenant's audit log.
    assert audit_actions(tenant, in_tenant, actor_user=superuser) == ["admin.platform_staff_access"]
