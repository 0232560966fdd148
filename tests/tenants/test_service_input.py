"""Tenant services called without a serializer (admin, scripts, other apps) refuse bad input
themselves, naming the field, before anything is written (STYLE.md §12)."""

import pytest
from django.core.exceptions import ValidationError

from tenants import services
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.exceptions import LastOwnerError
from tenants.models import ApiKey, AuditLogEntry, Invitation, Membership, Role, Tenant


@pytest.fixture
def owner_actor(owner):
    return Actor(user=owner.user, role=Role.OWNER)


def snapshot(tenant: Tenant, membership: Membership) -> dict:
    tenant.refresh_from_db()
    membership.refresh_from_db()
    counts = {
        "tenant": (tenant.name, tenant.timezone, tenant.settings),
        "member": (membership.role, membership.is_senior, membership.is_active),
        "keys": ApiKey.objects.count(),
        "invitations": Invitation.objects.count(),
    }
    with tenant_context(tenant):
        counts["audit"] = AuditLogEntry.objects.count()
    return counts


def assert_refused(tenant, membership, call, field: str, message: str) -> None:
    before = snapshot(tenant, membership)

    with pytest.raises(ValidationError) as caught:
        call()

    assert caught.value.message_dict == {field: [message]}
    assert snapshot(tenant, membership) == before


# --- tenant_update ----------------------------------------------------------------------------

TENANT_BAD = [
    ("name", "x" * 201, "Ensure this field has no more than 200 characters."),
    ("name", "", "This field may not be blank."),
    ("name", "Al\x00pha", "Null characters are not allowed."),
    ("name", 7, "Not a valid string."),
    ("timezone_name", "Mars/Olympus", "Unknown time zone (use an IANA name such as UTC)."),
    ("timezone_name", "posix/Europe/Paris", "Unknown time zone (use an IANA name such as UTC)."),
    ("settings", ["help_center_enabled"], "Must be a JSON object."),
    ("settings", {"colour": "red"}, "colour: Unknown field."),
    ("settings", {"help_center_enabled": "yes"}, "help_center_enabled: Must be a valid boolean."),
    (
        "settings",
        {"unassigned_escalation_hours": 721},
        "unassigned_escalation_hours: Ensure this value is between 1 and 720.",
    ),
    (
        "settings",
        {"unassigned_escalation_hours": "48"},
        "unassigned_escalation_hours: A valid integer is required.",
    ),
    (
        "settings",
        {"assignment_strategy": "seniors_first"},
        'assignment_strategy: "seniors_first" is not a valid choice.',
    ),
]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [pytest.param(f, v, m, id=f"{f}-{i}") for i, (f, v, m) in enumerate(TENANT_BAD)],
)
def test_tenant_update_refuses_bad_input_and_writes_nothing(
    tenant, owner, owner_actor, field, value, message
):
    assert_refused(
        tenant,
        owner,
        lambda: services.tenant_update(tenant=tenant, actor=owner_actor, **{field: value}),
        field,
        message,
    )


def test_tenant_update_stores_valid_input(tenant, owner_actor):
    services.tenant_update(
        tenant=tenant,
        actor=owner_actor,
        name="Alpha GmbH",
        timezone_name="Europe/Berlin",
        settings={"unassigned_escalation_hours": 24, "help_center_enabled": False},
    )

    tenant.refresh_from_db()
    assert (tenant.name, tenant.timezone) == ("Alpha GmbH", "Europe/Berlin")
    assert tenant.settings == {"unassigned_escalation_hours": 24, "help_center_enabled": False}


# --- member_update ----------------------------------------------------------------------------

MEMBER_BAD = [
    ("role", "superuser", '"superuser" is not a valid choice.'),
    ("role", "", '"" is not a valid choice.'),
    ("is_senior", "true", "Must be a valid boolean."),
    ("is_senior", 1, "Must be a valid boolean."),
    ("is_active", 0, "Must be a valid boolean."),
]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [pytest.param(f, v, m, id=f"{f}-{i}") for i, (f, v, m) in enumerate(MEMBER_BAD)],
)
def test_member_update_refuses_bad_input_and_writes_nothing(
    tenant, member, owner_actor, field, value, message
):
    agent = member(Role.AGENT)

    assert_refused(
        tenant,
        agent,
        lambda: services.member_update(
            tenant=tenant, actor=owner_actor, membership=agent, **{field: value}
        ),
        field,
        message,
    )


def test_member_update_stores_a_valid_change(tenant, member, owner_actor):
    agent = member(Role.AGENT)

    services.member_update(
        tenant=tenant, actor=owner_actor, membership=agent, role=Role.SUPERVISOR, is_senior=True
    )

    agent.refresh_from_db()
    assert (agent.role, agent.is_senior) == (Role.SUPERVISOR, True)


def test_the_last_owner_error_says_the_message_of_its_class(tenant, owner, owner_actor):
    with pytest.raises(LastOwnerError) as caught:
        services.member_update(tenant=tenant, actor=owner_actor, membership=owner, role="admin")

    assert caught.value.detail == "The tenant's last owner cannot leave or be demoted."


# --- api_key_create ---------------------------------------------------------------------------

API_KEY_BAD = [
    ("name", "x" * 101, "Ensure this field has no more than 100 characters."),
    ("name", "", "This field may not be blank."),
    ("name", "ci\x00", "Null characters are not allowed."),
    ("name", None, "This field may not be null."),
    ("role", Role.OWNER, "API keys have the role admin, supervisor, agent or viewer."),
    ("role", "root", "API keys have the role admin, supervisor, agent or viewer."),
]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [pytest.param(f, v, m, id=f"{f}-{i}") for i, (f, v, m) in enumerate(API_KEY_BAD)],
)
def test_api_key_create_refuses_bad_input_and_writes_nothing(
    tenant, owner, owner_actor, field, value, message
):
    fields = {"name": "CI", "role": Role.AGENT, field: value}

    assert_refused(
        tenant,
        owner,
        lambda: services.api_key_create(tenant=tenant, actor=owner_actor, **fields),
        field,
        message,
    )


def test_api_key_create_stores_a_valid_key(tenant, owner_actor):
    api_key, _ = services.api_key_create(
        tenant=tenant, actor=owner_actor, name="CI", role=Role.AGENT
    )

    assert (api_key.name, api_key.role) == ("CI", Role.AGENT)


# --- invitation_create ------------------------------------------------------------------------

INVITATION_BAD = [
    ("email", "not-an-email", "Enter a valid email address."),
    ("email", "x" * 250 + "@e.io", "Enter at most 254 characters."),
    ("role", "root", "Unknown role."),
    ("is_senior", "yes", "Must be true or false."),
]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [pytest.param(f, v, m, id=f"{f}-{i}") for i, (f, v, m) in enumerate(INVITATION_BAD)],
)
def test_invitation_create_refuses_bad_input_and_writes_nothing(
    tenant, owner, owner_actor, field, value, message
):
    fields = {"email": "new@example.test", "role": Role.AGENT, field: value}

    assert_refused(
        tenant,
        owner,
        lambda: services.invitation_create(tenant=tenant, actor=owner_actor, **fields),
        field,
        message,
    )


def test_invitation_create_stores_the_email_stripped_and_lowercased(tenant, owner_actor):
    invitation = services.invitation_create(
        tenant=tenant, actor=owner_actor, email="  New@Example.TEST ", role=Role.AGENT
    )

    assert invitation.email == "new@example.test"
