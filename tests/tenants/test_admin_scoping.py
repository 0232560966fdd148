"""The Django admin shows the acting tenant's rows only: membership lists, search, change pages
and forms, foreign-key choices and list filters, autocomplete (reachable for any foreign key,
declared or not), and the audit log (read-only for every role)."""

import json

import pytest

from tenants.admin_site import admin_site
from tenants.models import AuditLogEntry, Membership
from tests.tenants.admin_pages import (
    AUDIT,
    AUTOCOMPLETE,
    MEMBERS,
    audit_actions,
    change_url,
    member_form,
    messages_of,
)
from tests.tenants.admin_pages import admin_request as _admin_request
from tests.tenants.recipes import api_key_recipe, audit_entry_recipe

pytestmark = pytest.mark.django_db


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
    assert client.get(change_url(MEMBERS, own)).status_code == 200

    response = client.get(change_url(MEMBERS, foreign))

    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert any("doesn\u2019t exist" in message for message in messages_of(response))


def test_other_tenants_membership_cannot_be_changed_by_post(
    admin_login, member, other_tenant, in_tenant
):
    admin = member("admin")
    foreign = member("agent", tenant=other_tenant)

    response = admin_login(admin).post(
        change_url(MEMBERS, foreign), member_form(foreign, role="admin")
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

    response = admin_login(admin).get(change_url(MEMBERS, own))

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
        change_url(MEMBERS, own), member_form(own, user=str(foreign_user.pk))
    )

    assert response.status_code == 302
    own.refresh_from_db()
    assert own.user_id == original_user


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
    assert client.get(change_url(AUDIT, own)).status_code == 200

    response = client.get(change_url(AUDIT, foreign))

    assert response.status_code in (302, 404)


@pytest.mark.parametrize("role", ["owner", "supervisor"])
def test_audit_log_is_read_only(admin_login, member, tenant, in_tenant, role):
    with in_tenant(tenant):
        entry = audit_entry_recipe.make(tenant=tenant, action="alpha.event")
    client = admin_login(member(role))

    assert client.get(f"{AUDIT}add/").status_code == 403
    assert client.post(change_url(AUDIT, entry), {"action": "forged"}).status_code == 403
    assert client.post(f"{AUDIT}{entry.public_id}/delete/", {"post": "yes"}).status_code == 403
    with in_tenant(tenant):
        assert AuditLogEntry.objects.get(pk=entry.pk).action == "alpha.event"
