"""The Django admin's door: who logs in (supervisor, admin and owner, by email and password, no
is_staff needed; agents, viewers and non-members are refused with the wrong-password error), the
acting tenant (implicit with one admin membership, chosen otherwise, revalidated on each request),
and the index (no cross-tenant "Recent actions"; HTML logins share the per-account quota)."""

from urllib.parse import quote

import pytest

from tenants.models import Membership
from tests.conftest import PASSWORD
from tests.tenants.admin_pages import (
    ACTING,
    ADMIN,
    LOGIN,
    MEMBERS,
    SESSION_KEY,
    change_url,
    member_form,
)
from tests.tenants.recipes import membership_recipe, tenant_recipe, user_recipe

pytestmark = pytest.mark.django_db


# --- Login ------------------------------------------------------------------------------------


def test_supervisor_logs_in_with_email_and_password_without_is_staff(client, member):
    supervisor = member("supervisor")
    assert supervisor.user.is_staff is False

    response = client.post(
        LOGIN, {"username": supervisor.user.email, "password": PASSWORD, "next": ADMIN}
    )

    assert response.status_code == 302, response.content
    assert response.url == ADMIN
    assert int(client.session["_auth_user_id"]) == supervisor.user.pk
    assert client.get(ADMIN).status_code == 200


def test_login_with_a_wrong_password_is_refused(client, member):
    supervisor = member("supervisor")

    response = client.post(LOGIN, {"username": supervisor.user.email, "password": "wrong"})

    assert response.status_code == 200
    assert "supervisor access" in str(response.context["form"].errors)
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_agent_and_viewer_are_refused_at_login(client, member, role):
    membership = member(role)
    wrong = client.post(LOGIN, {"username": membership.user.email, "password": "wrong"})

    response = client.post(
        LOGIN, {"username": membership.user.email, "password": PASSWORD, "next": ADMIN}
    )

    assert response.status_code == 200
    # The same error as a wrong password: the form does not confirm the credentials.
    assert response.context["form"].errors == wrong.context["form"].errors
    assert "supervisor access" in str(response.context["form"].errors)
    assert "_auth_user_id" not in client.session
    assert client.get(ADMIN).status_code == 302  # back to the login page


def test_inactive_supervisor_membership_is_refused_at_login(client, member):
    membership = member("supervisor", is_active=False)

    response = client.post(LOGIN, {"username": membership.user.email, "password": PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_non_member_is_refused_at_login(client):
    user = user_recipe.make()
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])

    response = client.post(LOGIN, {"username": user.email, "password": PASSWORD})

    assert response.status_code == 200
    assert "supervisor access" in str(response.context["form"].errors)
    assert "_auth_user_id" not in client.session


def test_agent_with_a_session_is_sent_to_login(admin_login, member):
    client = admin_login(member("agent"))

    response = client.get(MEMBERS)

    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


# --- Acting tenant ----------------------------------------------------------------------------


def test_single_admin_membership_is_the_acting_tenant(admin_login, member, other_tenant):
    supervisor = member("supervisor")
    # An agent membership elsewhere does not make the choice ambiguous.
    membership_recipe.make(user=supervisor.user, tenant=other_tenant, role="agent")
    client = admin_login(supervisor)

    response = client.get(ADMIN)

    assert response.status_code == 200
    assert "Acting for <strong>Alpha Co</strong> (supervisor)" in response.content.decode()
    assert client.get(MEMBERS).status_code == 200


def _sent_to_picker(response) -> bool:
    return (
        response.status_code == 302 and response.url == f"{ACTING}?next={quote(MEMBERS, safe='')}"
    )


def test_a_model_page_before_choosing_sends_to_the_picker_and_back(
    admin_login, member, other_tenant
):
    admin = member("admin")
    membership_recipe.make(user=admin.user, tenant=other_tenant, role="supervisor")
    client = admin_login(admin)

    picker = client.get(client.get(MEMBERS).url)
    chosen = client.post(ACTING, {"tenant": str(other_tenant.pk), "next": MEMBERS})
    elsewhere = client.post(ACTING, {"tenant": str(other_tenant.pk), "next": "https://evil.test/"})

    assert picker.status_code == 200
    assert f'name="next" value="{MEMBERS}"' in picker.content.decode()
    assert (chosen.status_code, chosen.url) == (302, MEMBERS)
    assert client.get(MEMBERS).status_code == 200
    assert elsewhere.url == ADMIN  # never off-site


def test_two_admin_memberships_need_an_explicit_choice(admin_login, member, other_tenant):
    admin = member("admin")
    membership_recipe.make(user=admin.user, tenant=other_tenant, role="supervisor")
    client = admin_login(admin)

    index = client.get(ADMIN).content.decode()
    assert "No tenant chosen." in index
    assert "Acting for" not in index
    assert _sent_to_picker(client.get(MEMBERS))  # nothing tenant-scoped without a choice

    response = client.post(ACTING, {"tenant": str(other_tenant.pk)})

    assert response.status_code == 302
    assert response.url == ADMIN
    assert client.session[SESSION_KEY] == other_tenant.pk
    assert "Acting for <strong>Bravo Co</strong> (supervisor)" in client.get(ADMIN).content.decode()


@pytest.mark.parametrize("target", ["agent_membership", "non_member", "unknown"])
def test_acting_tenant_outside_the_users_admin_memberships_is_rejected(
    admin_login, member, tenant, other_tenant, target
):
    admin = member("admin")
    membership_recipe.make(user=admin.user, tenant=other_tenant, role="supervisor")
    third_id = 999_999  # "unknown": no such tenant
    if target != "unknown":
        third = tenant_recipe.make(slug="charlie", name="Charlie Co")
        third_id = third.pk
        if target == "agent_membership":
            membership_recipe.make(user=admin.user, tenant=third, role="agent")
    client = admin_login(admin)
    assert client.post(ACTING, {"tenant": str(tenant.pk)}).status_code == 302

    response = client.post(ACTING, {"tenant": str(third_id)})

    assert response.status_code == 200
    assert "tenant" in response.context["form"].errors
    assert client.session[SESSION_KEY] == tenant.pk
    assert "Acting for <strong>Alpha Co</strong>" in client.get(ADMIN).content.decode()


def test_acting_tenant_page_offers_only_admin_memberships(
    admin_login, member, tenant, other_tenant
):
    admin = member("admin")
    membership_recipe.make(user=admin.user, tenant=other_tenant, role="viewer")

    page = admin_login(admin).get(ACTING)

    choices = dict(page.context["form"].fields["tenant"].choices)
    assert list(choices) == [str(tenant.pk)]


def test_acting_tenant_is_revalidated_after_a_demotion(admin_login, member, other_tenant):
    admin = member("admin")
    other = membership_recipe.make(user=admin.user, tenant=other_tenant, role="supervisor")
    client = admin_login(admin)
    client.post(ACTING, {"tenant": str(other_tenant.pk)})
    assert client.get(MEMBERS).status_code == 200

    Membership.objects.filter(pk=other.pk).update(role="agent")

    assert _sent_to_picker(client.get(MEMBERS))
    assert "No tenant chosen." in client.get(ADMIN).content.decode()


# --- Index ------------------------------------------------------------------------------------


def test_index_has_no_cross_tenant_recent_actions(admin_login, member, other_tenant):
    """django_admin_log is not tenant-scoped: its "Recent actions" would span tenants."""
    admin = member("admin")
    membership_recipe.make(user=admin.user, tenant=other_tenant, role="admin")
    foreign = member("agent", tenant=other_tenant, user_fields={"email": "b-agent@example.test"})
    client = admin_login(admin)
    client.post(ACTING, {"tenant": str(other_tenant.pk)})
    client.post(change_url(MEMBERS, foreign), member_form(foreign, role="supervisor"))

    client.post(ACTING, {"tenant": str(admin.tenant_id)})
    content = client.get(ADMIN).content.decode()

    assert "Acting for <strong>Alpha Co</strong>" in content
    assert "Recent actions" not in content


@pytest.mark.parametrize("path", ["/admin/login/", "/api-auth/login/"])
def test_html_logins_share_the_per_account_quota(client, settings, member, path):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "login_account": "2/min",
        },
    }
    supervisor = member("supervisor")
    email = supervisor.user.email
    for _ in range(2):
        client.post(path, {"username": email, "password": "wrong"})

    response = client.post(path, {"username": email, "password": PASSWORD})

    assert response.status_code == 200  # the form again, not a redirect into the site
    assert "Too many login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
