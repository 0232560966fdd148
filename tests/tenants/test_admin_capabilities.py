"""What each role may do in the Django admin: change and remove members, see and revoke API keys.

Each happy path has its negative beside it. The role table below is the tests' own literal copy
of DESIGN.md §4 for the admin (tests never import the policy they check):

    enter the admin, read members and the audit log   owner admin supervisor
    change/remove members, see and revoke API keys    owner admin
    grant/revoke owner                                owner
"""

import pytest
from django.utils import timezone

from tenants.admin_site import admin_site
from tenants.models import ApiKey, AuditLogEntry, Membership
from tests.tenants.admin_pages import (
    API_KEYS,
    MEMBERS,
    audit_actions,
    change_url,
    member_form,
    messages_of,
)
from tests.tenants.admin_pages import admin_request as _admin_request
from tests.tenants.recipes import api_key_recipe

pytestmark = pytest.mark.django_db


# --- Changing members -------------------------------------------------------------------------


def test_supervisor_cannot_change_memberships(admin_login, member, tenant, in_tenant):
    supervisor = member("supervisor")
    agent = member("agent")
    client = admin_login(supervisor)
    assert client.get(change_url(MEMBERS, agent)).status_code == 200  # view only

    response = client.post(change_url(MEMBERS, agent), member_form(agent, role="admin"))

    assert response.status_code == 403
    agent.refresh_from_db()
    assert agent.role == "agent"
    assert audit_actions(tenant, in_tenant, action="member.updated") == []


def test_supervisor_cannot_delete_memberships(admin_login, member):
    agent = member("agent")
    client = admin_login(member("supervisor"))

    response = client.post(f"{MEMBERS}{agent.public_id}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Membership.objects.filter(pk=agent.pk).exists()


def test_admin_changes_a_role_through_the_service_with_an_audit_entry(
    admin_login, member, tenant, in_tenant
):
    admin = member("admin")
    agent = member("agent")

    response = admin_login(admin).post(
        change_url(MEMBERS, agent), member_form(agent, role="supervisor")
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

    response = admin_login(admin).post(change_url(MEMBERS, owner), member_form(owner, role="admin"))

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
        change_url(MEMBERS, agent), member_form(agent, role="owner")
    )

    assert response.status_code == 302
    assert not any("changed successfully" in message for message in messages_of(response))
    agent.refresh_from_db()
    assert agent.role == "agent"
    assert audit_actions(tenant, in_tenant, action="member.updated") == []


def test_last_owner_cannot_demote_themselves(admin_login, member, tenant, in_tenant):
    owner = member("owner")

    response = admin_login(owner).post(change_url(MEMBERS, owner), member_form(owner, role="admin"))

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
        change_url(MEMBERS, second), member_form(second, role="admin")
    )

    assert response.status_code == 302
    second.refresh_from_db()
    assert second.role == "admin"
    assert audit_actions(tenant, in_tenant, action="member.updated") == ["member.updated"]


def test_admin_removes_a_member_through_the_service(admin_login, member, tenant, in_tenant):
    agent = member("agent")

    response = admin_login(member("admin")).post(
        f"{MEMBERS}{agent.public_id}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=agent.pk).exists()
    assert audit_actions(tenant, in_tenant, action="member.removed") == ["member.removed"]


def test_admin_cannot_remove_an_owner(admin_login, member, tenant, in_tenant):
    owner = member("owner")

    response = admin_login(member("admin")).post(
        f"{MEMBERS}{owner.public_id}/delete/", {"post": "yes"}
    )

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

    assert client.get(change_url(API_KEYS, key)).status_code == 200
    assert client.post(change_url(API_KEYS, key), {"name": "renamed"}).status_code == 403
    assert client.get(f"{API_KEYS}add/").status_code == 403
    key.refresh_from_db()
    assert key.name == "alpha key"
