import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.serializers import InputSerializer
from tenants.api.links import tenant_links, tenant_url
from tenants.models import (
    API_KEY_ROLES,
    ASSIGNMENT_STRATEGIES,
    SEARCH_LANGUAGES,
    InvitationStatus,
    Role,
)
from tenants.validation import UNKNOWN_TIMEZONE, timezone_names

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,48}[a-z0-9])$")
RESERVED_SLUGS = frozenset(
    {"admin", "api", "app", "auth", "docs", "help", "media", "schema", "static", "t", "www"}
)


def validate_timezone_name(value: str) -> str:
    if value not in timezone_names():
        raise serializers.ValidationError(UNKNOWN_TIMEZONE)
    return value


# --- Auth -------------------------------------------------------------------------------------


class RegisterInputSerializer(InputSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
    name = serializers.CharField(max_length=150)


class TokenInputSerializer(InputSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class AcceptedOutputSerializer(serializers.Serializer):
    """The one answer of requests whose outcome must not reveal whether an account exists."""

    detail = serializers.CharField()


# Passwords are capped like the login's; Django's validators judge their strength.
def _password_field() -> serializers.CharField:
    return serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)


# Emailed link tokens are ~65 characters; tenants.tokens refuses anything malformed.
def _link_token_field() -> serializers.CharField:
    return serializers.CharField(max_length=200, trim_whitespace=False)


class PasswordChangeInputSerializer(InputSerializer):
    current_password = _password_field()
    new_password = _password_field()


class PasswordResetInputSerializer(InputSerializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmInputSerializer(InputSerializer):
    token = _link_token_field()
    new_password = _password_field()


class EmailVerifyInputSerializer(InputSerializer):
    token = _link_token_field()


class UserOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    email = serializers.EmailField()
    name = serializers.CharField()


class PersonSerializer(serializers.Serializer):
    """A person as representations embed them (a member, or a customer): who, readably."""

    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()
    email = serializers.EmailField()

    class Meta:
        ref_name = "Person"


class TenantRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class MyMembershipSerializer(serializers.Serializer):
    tenant = TenantRefSerializer()
    role = serializers.CharField()
    is_senior = serializers.BooleanField()


class MeOutputSerializer(UserOutputSerializer):
    memberships = MyMembershipSerializer(many=True)


# --- Tenants ----------------------------------------------------------------------------------


class TenantSettingsSerializer(InputSerializer):
    # Only strategies this deployment can run (see tenants.models.ASSIGNMENT_STRATEGIES).
    assignment_strategy = serializers.ChoiceField(choices=["manual"], required=False)
    unassigned_escalation_hours = serializers.IntegerField(
        min_value=1, max_value=720, required=False
    )
    help_center_enabled = serializers.BooleanField(required=False)
    auto_assign = serializers.BooleanField(
        required=False,
        help_text="New tickets without an assignee are assigned by assignment_strategy "
        "(when it is an automatic one).",
    )
    search_language = serializers.ChoiceField(
        choices=list(SEARCH_LANGUAGES),
        required=False,
        help_text="The language ticket search stems words by (a PostgreSQL text search "
        "configuration; simple: no stemming). Changing it rebuilds the search index in the "
        "background; until then both languages' forms are found.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read per instance: apps register what they can run once they are loaded.
        self.fields["assignment_strategy"].choices = sorted(ASSIGNMENT_STRATEGIES)


class TenantCreateInputSerializer(InputSerializer):
    slug = serializers.CharField(max_length=50)
    name = serializers.CharField(max_length=200)
    timezone = serializers.CharField(max_length=64, default="UTC")
    settings = TenantSettingsSerializer(required=False)

    def validate_slug(self, value: str) -> str:
        if not SLUG_RE.match(value):
            raise serializers.ValidationError(
                "3-50 characters: lowercase letters, digits and inner hyphens."
            )
        if value in RESERVED_SLUGS:
            raise serializers.ValidationError("This slug is reserved.")
        return value

    def validate_timezone(self, value: str) -> str:
        return validate_timezone_name(value)


class TenantUpdateInputSerializer(InputSerializer):
    slug = serializers.CharField(required=False)
    name = serializers.CharField(max_length=200, required=False)
    timezone = serializers.CharField(max_length=64, required=False)
    settings = TenantSettingsSerializer(required=False)

    def validate_slug(self, value: str) -> str:
        if value != self.context["tenant"].slug:
            raise serializers.ValidationError("The slug cannot be changed.")
        return value

    def validate_timezone(self, value: str) -> str:
        return validate_timezone_name(value)


class TenantOutputSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    timezone = serializers.CharField()
    settings = serializers.JSONField(source="effective_settings")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(help_text="The tenant's root.")
    links = serializers.SerializerMethodField(
        help_text="The tenant's collections (tickets, customers, members, …) by name."
    )

    def get_url(self, tenant) -> str:
        return tenant_url(slug=tenant.slug, request=self.context.get("request"))

    @extend_schema_field(serializers.DictField(child=serializers.URLField()))
    def get_links(self, tenant) -> dict[str, str]:
        return tenant_links(slug=tenant.slug, request=self.context.get("request"))


class TenantListItemSerializer(TenantOutputSerializer):
    role = serializers.CharField()


# --- Members ----------------------------------------------------------------------------------


class MemberUpdateInputSerializer(InputSerializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    is_senior = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(required=False)


class MemberAvailabilityInputSerializer(InputSerializer):
    is_available = serializers.BooleanField()


class MemberOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    user = UserOutputSerializer()
    role = serializers.CharField()
    is_senior = serializers.BooleanField()
    is_active = serializers.BooleanField()
    is_available = serializers.BooleanField(
        help_text="Takes new tickets from automatic assignment."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


# --- Invitations ------------------------------------------------------------------------------


class InvitationCreateInputSerializer(InputSerializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices)
    is_senior = serializers.BooleanField(default=False)


class InvitationOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    email = serializers.EmailField()
    role = serializers.CharField()
    is_senior = serializers.BooleanField()
    status = serializers.ChoiceField(choices=InvitationStatus.choices, source="current_status")
    invited_by = serializers.EmailField(
        source="invited_by.email",
        default=None,
        allow_null=True,
        help_text="The person who invited (for an API key, the person the key traces to).",
    )
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()


class InvitationAcceptInputSerializer(InputSerializer):
    """Logged in (bearer token): the token alone."""

    token = serializers.CharField(max_length=128, trim_whitespace=False)


class InvitationAcceptNewAccountInputSerializer(InvitationAcceptInputSerializer):
    """Anonymous: the token plus the new account's password and name."""

    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
    name = serializers.CharField(max_length=150)


# --- API keys ---------------------------------------------------------------------------------


class ApiKeyCreateInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=100)
    role = serializers.ChoiceField(choices=[(r.value, r.label) for r in API_KEY_ROLES])


class ApiKeyOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()
    role = serializers.CharField()
    prefix = serializers.CharField()
    created_by = serializers.EmailField(
        source="created_by.email",
        default=None,
        allow_null=True,
        help_text="The person the key traces to; the key acts with at most their current role.",
    )
    created_by_key = serializers.UUIDField(
        source="created_by_key.public_id",
        default=None,
        allow_null=True,
        help_text="The key that created this one, if a key did.",
    )
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class ApiKeyCreatedOutputSerializer(ApiKeyOutputSerializer):
    key = serializers.CharField(
        allow_null=True,
        help_text=(
            "The key itself. Shown once; store it now. Never stored: an Idempotency-Key replay "
            "of this response has null here and the header `Idempotent-Redacted: key`."
        ),
    )


# --- Audit log --------------------------------------------------------------------------------


class AuditLogOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    actor = serializers.CharField(source="actor_label")
    actor_user = serializers.UUIDField(source="actor_user.public_id", default=None, allow_null=True)
    action = serializers.CharField()
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    target_label = serializers.CharField()
    before = serializers.JSONField()
    after = serializers.JSONField()
    ip_address = serializers.IPAddressField(allow_null=True)
    request_id = serializers.CharField()
    created_at = serializers.DateTimeField()
