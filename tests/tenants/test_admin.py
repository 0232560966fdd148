"""The Django admin for tenant supervisors: login by role, acting tenant, scoping, capabilities.

Each happy path has its negative beside it. The role table below is the tests' own literal copy
of DESIGN.md §4 for the admin (tests never import the policy they check):

    enter the admin, read members and the audit log   owner admin supervisor
    change/remove members, see and revoke API keys    owner admin
    grant/revoke owner                                owner
"""

import json

import pytest
from django.contrib.messages import get_messages
from django.test import RequestFactory
from django.utils import timezone

from tenants.admin_site import admin_site
from tenants.models import ApiKey, AuditLogEntry, Membership, User
from tests.conftest import PASSWORD
from tests.tenants.recipes import (
    api_key_recipe,
    audit_entry_recipe,
    membership_recipe,
    tenant_recipe,
    user_recipe,
)

pytestmark = pytest.mark.django_db

ADMIN = "/admin/"
LOGIN = "/admin/login/"
ACTING = "/admin/acting-tenant/"
MEMBERS = "/admin/tenants/membership/"
API_KEYS = "/admin/tenants/apikey/"
AUDIT = "/admin/tenants/auditlogentry/"
USERS = "/admin/tenants/user/"
TENANTS = "/admin/tenants/tenant/"
AUTOCOMPLETE = "/admin/autocomplete/"
SESSION_KEY = "acting_tenant_id"


def change_url(base: str, pk: int) -> str:
    return f"{base}{pk}/change/"


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def audit_actions(tenant, in_tenant, **filters) -> list[str]:
    with in_tenant(tenant):
        return list(AuditLogEntry.objects.filter(**filters).values_list("action", flat=True))


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


def member_form(membership, **overrides):
    """POST data of the membership change form (checkboxes are sent only when checked)."""
    data = {"role": membership.role, "_save": "Save"}
    if membership.is_senior:
        data["is_senior"] = "on"
    if membership.is_active:
        data["is_active"] = "on"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


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


def test_two_admin_memberships_need_an_explicit_choice(admin_login, member, other_tenant):
    admin = member("admin")
    membership_recipe.make(user=admin.user, tenant=other_tenant, role="supervisor")
    client = admin_login(admin)

    index = client.get(ADMIN).content.decode()
    assert "No tenant chosen." in index
    assert "Acting for" not in index
    assert client.get(MEMBERS).status_code == 403  # nothing tenant-scoped without a choice

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

    assert client.get(MEMBERS).status_code == 403
    assert "No tenant chosen." in client.get(ADMIN).content.decode()


# --- Membership scoping -----------------------------------------------------------------------


def test_membership_changelist_lists_only_the_acting_tenants_members(
    admin_login, email_member, other_tenant
):
    supervisor = email_member("supervisor", "a-sup@example.test")
    email_member("agent", "a-agent@example.test")
    email_member("agent", "b-agent@example.test", tenant=other_tenant)

    response = admin_login(supervisor).get(MEMBERS)

    content = response.content.decode()
    assert response.status_code == 200
    assert "a-agent@example.test" in content
    assert "b-agent@example.test" not in content


def test_membership_changelist_search_stays_in_the_acting_tenant(
    admin_login, email_member, other_tenant
):
    supervisor = email_member("supervisor", "a-sup@example.test")
    email_member("agent", "shared-a@example.test")
    email_member("agent", "shared-b@example.test", tenant=other_tenant)

    content = admin_login(supervisor).get(MEMBERS, {"q": "shared"}).content.decode()

    assert "shared-a@example.test" in content
    assert "shared-b@example.test" not in content


def test_other_tenants_membership_change_page_does_not_exist(admin_login, member, other_tenant):
    admin = member("admin")
    foreign = member("agent", tenant=other_tenant)
    own = member("agent")
    client = admin_login(admin)
    assert client.get(change_url(MEMBERS, own.pk)).status_code == 200

    response = client.get(change_url(MEMBERS, foreign.pk))

    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert any("doesn\u2019t exist" in message for message in messages_of(response))


def test_other_tenants_membership_cannot_be_changed_by_post(
    admin_login, member, other_tenant, in_tenant
):
    admin = member("admin")
    foreign = member("agent", tenant=other_tenant)

    response = admin_login(admin).post(
        change_url(MEMBERS, foreign.pk), member_form(foreign, role="admin")
    )

    assert response.status_code in (302, 404)
    foreign.refresh_from_db()
    assert foreign.role == "agent"
    assert audit_actions(other_tenant, in_tenant, action="member.updated") == []


def test_membership_change_form_shows_only_the_acting_tenants_data(
    admin_login, email_member, other_tenant
):
    admin = email_member("admin", "a-admin@example.test")
    own = email_member("agent", "a-agent@example.test")
    email_member("agent", "b-agent@example.test", tenant=other_tenant)

    response = admin_login(admin).get(change_url(MEMBERS, own.pk))

    content = response.content.decode()
    assert response.status_code == 200
    assert "a-agent@example.test" in content
    assert "b-agent@example.test" not in content
    assert "a-admin@example.test" in content  # the user tools show who is logged in
    # The form has no related-object select (user is read-only); role is the only select.
    form = response.context["adminform"].form
    assert set(form.fields) == {"role", "is_senior", "is_active"}


def test_membership_user_cannot_be_reassigned_through_the_form(admin_login, member, other_tenant):
    admin = member("admin")
    own = member("agent")
    foreign_user = member("agent", tenant=other_tenant).user
    original_user = own.user_id

    response = admin_login(admin).post(
        change_url(MEMBERS, own.pk), member_form(own, user=str(foreign_user.pk))
    )

    assert response.status_code == 302
    own.refresh_from_db()
    assert own.user_id == original_user


def _admin_request(user, tenant, role):
    request = RequestFactory().get(ADMIN)
    request.user = user
    request.acting_tenant, request.acting_role = tenant, role
    return request


def test_scoped_foreign_key_choices_cover_only_the_acting_tenant(member, tenant, other_tenant):
    admin = member("admin")
    own_agent = member("agent")
    foreign_agent = member("agent", tenant=other_tenant)
    own_key = api_key_recipe.make(tenant=tenant)
    foreign_key = api_key_recipe.make(tenant=other_tenant)
    request = _admin_request(admin.user, tenant, "admin")

    membership_admin = admin_site.get_model_admin(Membership)
    user_field = membership_admin.formfield_for_foreignkey(
        Membership._meta.get_field("user"), request
    )
    audit_admin = admin_site.get_model_admin(AuditLogEntry)
    key_field = audit_admin.formfield_for_foreignkey(
        AuditLogEntry._meta.get_field("actor_api_key"), request
    )

    users = set(user_field.queryset)
    assert {admin.user, own_agent.user} <= users
    assert foreign_agent.user not in users
    assert set(key_field.queryset) == {own_key}
    assert foreign_key not in set(key_field.queryset)


def test_related_list_filters_offer_only_the_acting_tenants_values(
    member, tenant, other_tenant, in_tenant
):
    """A list_filter on a FK lists values of the scoped queryset, not the whole user table."""
    from tenants.admin import AuditLogEntryAdmin

    own_admin = member("admin")
    foreign_admin = member("admin", tenant=other_tenant)
    with in_tenant(tenant):
        audit_entry_recipe.make(tenant=tenant, actor_user=own_admin.user)
    with in_tenant(other_tenant):
        audit_entry_recipe.make(tenant=other_tenant, actor_user=foreign_admin.user)
    filtered_admin_class = type(
        "ActorFilteredAuditAdmin", (AuditLogEntryAdmin,), {"list_filter": ("actor_user",)}
    )
    model_admin = filtered_admin_class(AuditLogEntry, admin_site)
    request = _admin_request(own_admin.user, tenant, "admin")

    with in_tenant(tenant):
        changelist = model_admin.get_changelist_instance(request)
        choices = dict(changelist.filter_specs[0].lookup_choices)

    assert own_admin.user.pk in choices
    assert foreign_admin.user.pk not in choices


# --- Autocomplete (reachable for any FK, declared or not) -------------------------------------


def test_autocomplete_of_users_is_platform_only(admin_login, member, other_tenant):
    member("agent", tenant=other_tenant)
    client = admin_login(member("owner"))

    response = client.get(
        AUTOCOMPLETE,
        {"app_label": "tenants", "model_name": "membership", "field_name": "user", "term": ""},
    )

    assert response.status_code == 403


def test_autocomplete_of_api_keys_returns_only_the_acting_tenants_keys(
    admin_login, member, tenant, other_tenant
):
    own = api_key_recipe.make(tenant=tenant, name="shared key a")
    api_key_recipe.make(tenant=other_tenant, name="shared key b")
    client = admin_login(member("admin"))

    response = client.get(
        AUTOCOMPLETE,
        {
            "app_label": "tenants",
            "model_name": "auditlogentry",
            "field_name": "actor_api_key",
            "term": "shared",
        },
    )

    assert response.status_code == 200, response.content
    results = json.loads(response.content)["results"]
    assert [result["id"] for result in results] == [str(own.pk)]


def test_autocomplete_of_api_keys_is_refused_to_a_supervisor(admin_login, member, tenant):
    api_key_recipe.make(tenant=tenant, name="shared key a")
    client = admin_login(member("supervisor"))

    response = client.get(
        AUTOCOMPLETE,
        {
            "app_label": "tenants",
            "model_name": "auditlogentry",
            "field_name": "actor_api_key",
            "term": "shared",
        },
    )

    assert response.status_code == 403


# --- Audit log --------------------------------------------------------------------------------


def test_audit_changelist_shows_only_the_acting_tenants_entries(
    admin_login, member, tenant, other_tenant, in_tenant
):
    with in_tenant(tenant):
        audit_entry_recipe.make(tenant=tenant, action="alpha.event")
    with in_tenant(other_tenant):
        audit_entry_recipe.make(tenant=other_tenant, action="bravo.event")
    client = admin_login(member("supervisor"))

    response = client.get(AUDIT)

    content = response.content.decode()
    assert response.status_code == 200
    assert "alpha.event" in content
    assert "bravo.event" not in content  # neither as a row nor as a list-filter choice


def test_audit_entry_of_another_tenant_does_not_exist(
    admin_login, member, tenant, other_tenant, in_tenant
):
    with in_tenant(tenant):
        own = audit_entry_recipe.make(tenant=tenant)
    with in_tenant(other_tenant):
        foreign = audit_entry_recipe.make(tenant=other_tenant)
    client = admin_login(member("supervisor"))
    assert client.get(change_url(AUDIT, own.pk)).status_code == 200

    response = client.get(change_url(AUDIT, foreign.pk))

    assert response.status_code in (302, 404)


@pytest.mark.parametrize("role", ["owner", "supervisor"])
def test_audit_log_is_read_only(admin_login, member, tenant, in_tenant, role):
    with in_tenant(tenant):
        entry = audit_entry_recipe.make(tenant=tenant, action="alpha.event")
    client = admin_login(member(role))

    assert client.get(f"{AUDIT}add/").status_code == 403
    assert client.post(change_url(AUDIT, entry.pk), {"action": "forged"}).status_code == 403
    assert client.post(f"{AUDIT}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    with in_tenant(tenant):
        assert AuditLogEntry.objects.get(pk=entry.pk).action == "alpha.event"


# --- Changing members -------------------------------------------------------------------------


def test_supervisor_cannot_change_memberships(admin_login, member, tenant, in_tenant):
    supervisor = member("supervisor")
    agent = member("agent")
    client = admin_login(supervisor)
    assert client.get(change_url(MEMBERS, agent.pk)).status_code == 200  # view only

    response = client.post(change_url(MEMBERS, agent.pk), member_form(agent, role="admin"))

    assert response.status_code == 403
    agent.refresh_from_db()
    assert agent.role == "agent"
    assert audit_actions(tenant, in_tenant, action="member.updated") == []


def test_supervisor_cannot_delete_memberships(admin_login, member):
    agent = member("agent")
    client = admin_login(member("supervisor"))

    response = client.post(f"{MEMBERS}{agent.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Membership.objects.filter(pk=agent.pk).exists()


def test_admin_changes_a_role_through_the_service_with_an_audit_entry(
    admin_login, member, tenant, in_tenant
):
    admin = member("admin")
    agent = member("agent")

    response = admin_login(admin).post(
        change_url(MEMBERS, agent.pk), member_form(agent, role="supervisor")
    )

    assert response.status_code == 302, response.content
    assert any("changed successfully" in message for message in messages_of(response))
    agent.refresh_from_db()
    assert agent.role == "supervisor"
    with in_tenant(tenant):
        entry = AuditLogEntry.objects.get(action="member.updated")
    assert entry.actor_user == admin.user
    assert entry.target_id == str(agent.public_id)
    assert entry.before == {"role": "agent"}
    assert entry.after == {"role": "supervisor"}


def test_admin_cannot_demote_an_owner(admin_login, member, tenant, in_tenant):
    admin = member("admin")
    owner = member("owner")

    response = admin_login(admin).post(
        change_url(MEMBERS, owner.pk), member_form(owner, role="admin")
    )

    assert response.status_code == 302
    texts = messages_of(response)
    assert any("owner" in message.lower() for message in texts), texts
    assert not any("changed successfully" in message for message in texts), texts
    owner.refresh_from_db()
    assert owner.role == "owner"
    assert audit_actions(tenant, in_tenant, action="member.updated") == []


def test_admin_cannot_grant_owner(admin_login, member, tenant, in_tenant):
    agent = member("agent")

    response = admin_login(member("admin")).post(
        change_url(MEMBERS, agent.pk), member_form(agent, role="owner")
    )

    assert response.status_code == 302
    assert not any("changed successfully" in message for message in messages_of(response))
    agent.refresh_from_db()
    assert agent.role == "agent"
    assert audit_actions(tenant, in_tenant, action="member.updated") == []


def test_last_owner_cannot_demote_themselves(admin_login, member, tenant, in_tenant):
    owner = member("owner")

    response = admin_login(owner).post(
        change_url(MEMBERS, owner.pk), member_form(owner, role="admin")
    )

    assert response.status_code == 302
    texts = messages_of(response)
    assert any("last owner" in message for message in texts), texts
    assert not any("changed successfully" in message for message in texts), texts
    owner.refresh_from_db()
    assert owner.role == "owner"
    assert audit_actions(tenant, in_tenant, action="member.updated") == []


def test_owner_can_demote_an_owner_when_another_remains(admin_login, member, tenant, in_tenant):
    owner = member("owner")
    second = member("owner")

    response = admin_login(owner).post(
        change_url(MEMBERS, second.pk), member_form(second, role="admin")
    )

    assert response.status_code == 302
    second.refresh_from_db()
    assert second.role == "admin"
    assert audit_actions(tenant, in_tenant, action="member.updated") == ["member.updated"]


def test_admin_removes_a_member_through_the_service(admin_login, member, tenant, in_tenant):
    agent = member("agent")

    response = admin_login(member("admin")).post(f"{MEMBERS}{agent.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=agent.pk).exists()
    assert audit_actions(tenant, in_tenant, action="member.removed") == ["member.removed"]


def test_admin_cannot_remove_an_owner(admin_login, member, tenant, in_tenant):
    owner = member("owner")

    response = admin_login(member("admin")).post(f"{MEMBERS}{owner.pk}/delete/", {"post": "yes"})

    texts = messages_of(response)
    assert not any("deleted successfully" in message for message in texts), texts
    assert any("owner" in message.lower() for message in texts), texts
    assert Membership.objects.filter(pk=owner.pk).exists()
    assert audit_actions(tenant, in_tenant, action="member.removed") == []


def test_bulk_delete_action_is_not_offered_for_members(admin_login, member, tenant, in_tenant):
    """delete_selected would call QuerySet.delete(): no service, no audit, no owner rules."""
    owner = member("owner")
    client = admin_login(member("admin"))

    response = client.post(
        MEMBERS, {"action": "delete_selected", "_selected_action": [owner.pk], "post": "yes"}
    )

    assert response.status_code in (200, 302)
    assert Membership.objects.filter(pk=owner.pk).exists()
    assert audit_actions(tenant, in_tenant, action="member.removed") == []
    assert "delete_selected" not in client.get(MEMBERS).content.decode()


# --- API keys ---------------------------------------------------------------------------------


def test_revoke_action_revokes_only_the_acting_tenants_keys(
    admin_login, member, tenant, other_tenant, in_tenant
):
    own = api_key_recipe.make(tenant=tenant, name="alpha key")
    untouched = api_key_recipe.make(tenant=tenant, name="alpha spare")
    foreign = api_key_recipe.make(tenant=other_tenant, name="bravo key")
    client = admin_login(member("admin"))

    response = client.post(
        API_KEYS, {"action": "revoke", "_selected_action": [own.pk, foreign.pk], "index": 0}
    )

    assert response.status_code == 302, response.content
    revoked = dict(ApiKey.objects.values_list("pk", "revoked_at"))
    assert revoked[own.pk] is not None
    assert revoked[untouched.pk] is None
    assert revoked[foreign.pk] is None
    with in_tenant(tenant):
        entries = list(AuditLogEntry.objects.filter(action="api_key.revoked"))
    assert [entry.target_id for entry in entries] == [str(own.public_id)]
    assert audit_actions(other_tenant, in_tenant) == []


def test_revoke_action_skips_already_revoked_keys(admin_login, member, tenant, in_tenant):
    revoked_at = timezone.now()
    old = api_key_recipe.make(tenant=tenant, revoked_at=revoked_at)
    client = admin_login(member("admin"))

    response = client.post(API_KEYS, {"action": "revoke", "_selected_action": [old.pk]})

    assert response.status_code == 302
    old.refresh_from_db()
    assert old.revoked_at == revoked_at
    assert audit_actions(tenant, in_tenant, action="api_key.revoked") == []


def test_api_keys_changelist_lists_only_the_acting_tenants_keys(
    admin_login, member, tenant, other_tenant
):
    api_key_recipe.make(tenant=tenant, name="alpha key")
    api_key_recipe.make(tenant=other_tenant, name="bravo key")

    content = admin_login(member("admin")).get(API_KEYS).content.decode()

    assert "alpha key" in content
    assert "bravo key" not in content
    assert 'value="revoke"' in content


def test_supervisor_gets_no_revoke_action(admin_login, member, tenant, in_tenant):
    supervisor = member("supervisor")
    key = api_key_recipe.make(tenant=tenant)
    client = admin_login(supervisor)

    actions = admin_site.get_model_admin(ApiKey).get_actions(
        _admin_request(supervisor.user, tenant, "supervisor")
    )
    response = client.post(API_KEYS, {"action": "revoke", "_selected_action": [key.pk]})

    assert "revoke" not in actions
    assert response.status_code == 403
    key.refresh_from_db()
    assert key.revoked_at is None
    assert audit_actions(tenant, in_tenant, action="api_key.revoked") == []


def test_api_key_change_page_is_read_only_for_admins(admin_login, member, tenant):
    key = api_key_recipe.make(tenant=tenant, name="alpha key")
    client = admin_login(member("admin"))

    assert client.get(change_url(API_KEYS, key.pk)).status_code == 200
    assert client.post(change_url(API_KEYS, key.pk), {"name": "renamed"}).status_code == 403
    assert client.get(f"{API_KEYS}add/").status_code == 403
    key.refresh_from_db()
    assert key.name == "alpha key"


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
    assert client.get(change_url(USERS, agent.user.pk)).status_code == 200


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
    page = client.get(change_url(TENANTS, tenant.pk))
    assert page.status_code == 200

    response = client.post(
        change_url(TENANTS, tenant.pk),
        {"name": "Alpha Renamed", "timezone": "Europe/Paris", "settings": "{}", "_save": "Save"},
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    tenant.refresh_from_db()
    assert tenant.name == "Alpha Renamed"
    assert audit_actions(tenant, in_tenant, action="tenant.updated") == ["tenant.updated"]


def test_tenants_are_not_added_through_the_admin(admin_login, superuser):
    assert admin_login(superuser).get(f"{TENANTS}add/").status_code == 403


def test_superuser_acts_for_any_tenant(admin_login, superuser, member, tenant):
    member("agent")
    client = admin_login(superuser)
    assert client.get(MEMBERS).status_code == 403  # no acting tenant yet

    assert client.post(ACTING, {"tenant": str(tenant.pk)}).status_code == 302

    assert client.get(MEMBERS).status_code == 200


# --- Index ------------------------------------------------------------------------------------


def test_index_has_no_cross_tenant_recent_actions(admin_login, member, other_tenant):
    """django_admin_log is not tenant-scoped: its "Recent actions" would span tenants."""
    admin = member("admin")
    membership_recipe.make(user=admin.user, tenant=other_tenant, role="admin")
    foreign = member("agent", tenant=other_tenant, user_fields={"email": "b-agent@example.test"})
    client = admin_login(admin)
    client.post(ACTING, {"tenant": str(other_tenant.pk)})
    client.post(change_url(MEMBERS, foreign.pk), member_form(foreign, role="supervisor"))

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
