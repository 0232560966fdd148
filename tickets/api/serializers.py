import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.serializers import InputSerializer
from tenants.api.fields import TenantScopedRelatedField
from tenants.api.serializers import PersonSerializer
from tenants.context import current_tenant_id
from tenants.models import User
from tenants.permissions import roles_with
from tickets import history
from tickets.models import Channel, Customer, Priority, Status, Tier
from tickets.sla import sla_calendar_for, sla_remaining, sla_timeline
from tickets.validation import (
    COMMENT_BODY_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    MAX_TAGS,
    METADATA_MAX_BYTES,
    TAG_MAX_LENGTH,
    json_problem,
    tags_check,
)


class JSONObjectField(serializers.JSONField):
    """A JSON object whose size and nesting are capped."""

    def __init__(self, **kwargs):
        kwargs.setdefault("initial", dict)  # the browsable API's form starts with {}, not null
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if getattr(data, "is_json_string", False):  # typed into an HTML form
            try:
                data = json.loads(data)
            except ValueError as exc:
                raise serializers.ValidationError("Must be valid JSON.") from exc
        if not isinstance(data, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        problem = json_problem(data)
        if problem:
            raise serializers.ValidationError(problem)
        value = super().to_internal_value(data)
        if len(json.dumps(value)) > METADATA_MAX_BYTES:
            raise serializers.ValidationError(f"Must be at most {METADATA_MAX_BYTES} bytes.")
        return value


class TagsField(serializers.ListField):
    """Short lowercase slugs, deduplicated, order kept."""

    def __init__(self, **kwargs):
        super().__init__(
            child=serializers.CharField(max_length=TAG_MAX_LENGTH), max_length=MAX_TAGS, **kwargs
        )

    def to_internal_value(self, data):
        tags = super().to_internal_value(data)
        try:  # the services' rule (tickets.validation), so the two can never drift apart
            return tags_check("tags", tags)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict["tags"]) from exc


@extend_schema_field(OpenApiTypes.UUID)
class MemberUserField(serializers.SlugRelatedField):
    """A user id that must belong to an active member of the current tenant who can work
    tickets; anyone else (another tenant's agent, a viewer) is "does not exist"."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="public_id", **kwargs)

    def get_queryset(self):
        return User.objects.filter(
            memberships__tenant_id=current_tenant_id(),
            memberships__is_active=True,
            memberships__role__in=roles_with("ticket.write"),
        )

    def to_internal_value(self, data):
        try:
            return self.get_queryset().get(public_id=data)
        except (User.DoesNotExist, TypeError, ValueError, DjangoValidationError) as exc:
            raise serializers.ValidationError(
                "No member of this tenant who can work tickets has this id."
            ) from exc


def _customers(tenant_id):
    return Customer.objects.all()


# --- Customers --------------------------------------------------------------------------------


class CustomerCreateInputSerializer(InputSerializer):
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    tier = serializers.ChoiceField(choices=Tier.choices, required=False)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True)
    crm_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    metadata = JSONObjectField(required=False)


class CustomerUpdateInputSerializer(CustomerCreateInputSerializer):
    email = serializers.EmailField(max_length=254, required=False)


class CustomerOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    email = serializers.EmailField()
    name = serializers.CharField()
    tier = serializers.CharField()
    company = serializers.CharField()
    phone = serializers.CharField()
    crm_id = serializers.CharField()
    metadata = serializers.JSONField()
    erased = serializers.SerializerMethodField()
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_erased(self, obj) -> bool:
        return obj.erased_at is not None


# --- Tickets ----------------------------------------------------------------------------------


class TicketCreateInputSerializer(InputSerializer):
    subject = serializers.CharField(max_length=255)
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True
    )
    # initial: what the browsable API's select starts on (the defaults of a new ticket).
    priority = serializers.ChoiceField(
        choices=Priority.choices, required=False, initial=Priority.MEDIUM
    )
    category = serializers.CharField(max_length=64, required=False, allow_blank=True)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, initial=Channel.API)
    requester = TenantScopedRelatedField(
        queryset_fn=_customers,
        required=False,
        allow_null=True,  # null (or the form's empty choice) means "use customer_email"
        display=lambda customer: customer.email,
        resolve=False,  # ticket_create finds and locks it in one statement
    )
    customer_email = serializers.EmailField(max_length=254, required=False)
    customer_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    assignee = MemberUserField(required=False, allow_null=True)
    tags = TagsField(required=False)
    metadata = JSONObjectField(required=False)
    external_id = serializers.CharField(max_length=100, required=False, allow_null=True)

    def validate(self, attrs):
        if attrs.get("requester", None) is None:
            attrs.pop("requester", None)
        if ("requester" in attrs) == ("customer_email" in attrs):
            raise serializers.ValidationError(
                {"requester": ["Give either requester (a customer id) or customer_email."]}
            )
        return attrs


class TicketUpdateInputSerializer(InputSerializer):
    subject = serializers.CharField(max_length=255, required=False)
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True
    )
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    category = serializers.CharField(max_length=64, required=False, allow_blank=True)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    assignee = MemberUserField(required=False, allow_null=True)
    tags = TagsField(required=False)
    metadata = JSONObjectField(required=False)
    external_id = serializers.CharField(max_length=100, required=False, allow_null=True)


class TicketAssignInputSerializer(InputSerializer):
    assignee = MemberUserField(required=False, allow_null=True)
    strategy = serializers.CharField(
        max_length=32,
        required=False,
        help_text="Let the tenant's rules pick an available agent: round_robin or least_loaded "
        "(critical tickets go to senior agents first). Give this or assignee.",
    )

    def validate(self, attrs):
        if ("assignee" in attrs) == ("strategy" in attrs):
            raise serializers.ValidationError(
                {"assignee": ["Give either assignee (a user id or null) or strategy."]}
            )
        return attrs


class SlaTimelineEntrySerializer(serializers.Serializer):
    event = serializers.ChoiceField(
        choices=[
            "started",
            "paused",
            "resumed",
            "first_response_met",
            "first_response_breached",
            "resolution_met",
            "resolution_breached",
        ]
    )
    at = serializers.DateTimeField()


class SlaSerializer(serializers.Serializer):
    first_response_due_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the first response is due; once met, the due time it was met against. "
        "Null while the clock is stopped (pending) before the first response.",
    )
    resolution_due_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When resolution is due; once resolved, the due time it was met against. "
        "Null while the clock is stopped (pending).",
    )
    first_response_remaining_minutes = serializers.SerializerMethodField(
        help_text="Business minutes left (negative: overdue by that much); null once met."
    )
    resolution_remaining_minutes = serializers.SerializerMethodField(
        help_text="Business minutes left (negative: overdue by that much); null once resolved."
    )
    first_response_target_minutes = serializers.IntegerField(
        allow_null=True,
        help_text="The target in business minutes: the tenant's SLA policy for the priority "
        "and the requester's tier (null on tickets older than SLA policies).",
    )
    resolution_target_minutes = serializers.IntegerField(
        allow_null=True, help_text="The resolution target in business minutes."
    )
    breached = serializers.BooleanField(source="sla_breached")
    paused = serializers.BooleanField(source="sla_paused")
    timeline = serializers.SerializerMethodField(
        help_text="The clock's events in order: started, paused, resumed, first_response_met, "
        "first_response_breached, resolution_met, resolution_breached."
    )

    def _remaining(self, ticket) -> dict:
        return _sla_remaining(ticket, self.context)

    @extend_schema_field(SlaTimelineEntrySerializer(many=True))
    def get_timeline(self, ticket) -> list:
        return SlaTimelineEntrySerializer(sla_timeline(ticket), many=True).data

    def get_first_response_remaining_minutes(self, ticket) -> float | None:
        return self._remaining(ticket)["first_response"]

    def get_resolution_remaining_minutes(self, ticket) -> float | None:
        return self._remaining(ticket)["resolution"]


# --- Fast output of tickets --------------------------------------------------------------------
# A list page renders 25 tickets with two people and an SLA object each; DRF's generic
# rendering (a field object per value, a nested serializer per timeline) cost about half of a
# list request. TicketOutputSerializer.to_representation builds the same dict directly, value
# by value as DRF's fields render them; its declared fields stay the schema and the reference
# (tests/tickets/test_ticket_output.py renders tickets in every state both ways).


def _dt(value, zone):
    """As DRF's DateTimeField renders an aware datetime: in the active timezone, ISO 8601,
    'Z' for UTC."""
    if not value:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _str(value):
    return None if value is None else str(value)


def _int(value):
    return None if value is None else int(value)


def _bool(value):
    return None if value is None else bool(value)


def _person(person) -> dict | None:
    if person is None:
        return None
    return {"id": str(person.public_id), "name": _str(person.name), "email": _str(person.email)}


def _sla_remaining(ticket, context: dict) -> dict:
    cache = context.setdefault("sla_remaining", {})
    if ticket.pk not in cache:
        if "sla_calendar" not in context:  # once per response
            context["sla_calendar"] = sla_calendar_for(ticket)
        cache[ticket.pk] = sla_remaining(
            ticket, now=context.get("now") or timezone.now(), calendar=context["sla_calendar"]
        )
    return cache[ticket.pk]


def _sla(ticket, context: dict, zone) -> dict:
    remaining = _sla_remaining(ticket, context)
    return {
        "first_response_due_at": _dt(ticket.first_response_due_at, zone),
        "resolution_due_at": _dt(ticket.resolution_due_at, zone),
        "first_response_remaining_minutes": remaining["first_response"],
        "resolution_remaining_minutes": remaining["resolution"],
        "first_response_target_minutes": _int(ticket.first_response_target_minutes),
        "resolution_target_minutes": _int(ticket.resolution_target_minutes),
        "breached": _bool(ticket.sla_breached),
        "paused": _bool(ticket.sla_paused),
        "timeline": [
            {"event": entry["event"], "at": _dt(entry["at"], zone)}
            for entry in sla_timeline(ticket)
        ],
    }


class TicketOutputSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    subject = serializers.CharField()
    description = serializers.CharField()
    status = serializers.CharField()
    priority = serializers.CharField()
    category = serializers.CharField()
    channel = serializers.CharField()
    requester = serializers.UUIDField(source="requester.public_id")
    requester_email = serializers.EmailField(source="requester.email")
    requester_detail = PersonSerializer(source="requester", help_text="The requester, readably.")
    assignee = serializers.UUIDField(source="assignee.public_id", default=None, allow_null=True)
    assignee_detail = PersonSerializer(
        source="assignee", allow_null=True, help_text="The assignee, readably (null: none)."
    )
    tags = serializers.ListField(child=serializers.CharField())
    metadata = serializers.JSONField()
    external_id = serializers.CharField(allow_null=True)
    escalated = serializers.BooleanField()
    escalation_level = serializers.IntegerField()
    is_urgent = serializers.BooleanField()
    sla = SlaSerializer(source="*")
    first_response_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    merged_into = serializers.IntegerField(source="merged_into_number", allow_null=True)
    follow_up_of = serializers.IntegerField(
        allow_null=True,
        help_text="The number of the closed ticket this one follows up (the customer wrote "
        "again about it by email), or null.",
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField()

    def to_representation(self, ticket) -> dict:
        zone = self.context.get("zone")
        if zone is None:  # once per response, not per ticket
            zone = self.context["zone"] = timezone.get_current_timezone()
        requester = ticket.requester
        assignee = None if ticket.assignee_id is None else ticket.assignee
        return {
            "number": _int(ticket.number),
            "subject": _str(ticket.subject),
            "description": _str(ticket.description),
            "status": _str(ticket.status),
            "priority": _str(ticket.priority),
            "category": _str(ticket.category),
            "channel": _str(ticket.channel),
            "requester": str(requester.public_id),
            "requester_email": _str(requester.email),
            "requester_detail": _person(requester),
            "assignee": None if assignee is None else str(assignee.public_id),
            "assignee_detail": _person(assignee),
            "tags": None if ticket.tags is None else [_str(tag) for tag in ticket.tags],
            "metadata": ticket.metadata,
            "external_id": _str(ticket.external_id),
            "escalated": _bool(ticket.escalated),
            "escalation_level": _int(ticket.escalation_level),
            "is_urgent": _bool(ticket.is_urgent),
            "sla": _sla(ticket, self.context, zone),
            "first_response_at": _dt(ticket.first_response_at, zone),
            "resolved_at": _dt(ticket.resolved_at, zone),
            "closed_at": _dt(ticket.closed_at, zone),
            "merged_into": ticket.merged_into_number,
            "follow_up_of": _int(ticket.follow_up_of),
            "created_at": _dt(ticket.created_at, zone),
            "updated_at": _dt(ticket.updated_at, zone),
            "version": _int(ticket.version),
        }


# --- Comments and history ---------------------------------------------------------------------


class CommentAuthorSerializer(PersonSerializer):
    type = serializers.ChoiceField(choices=["user", "customer"])

    class Meta:
        ref_name = "CommentAuthor"


class CommentCreateInputSerializer(InputSerializer):
    body = serializers.CharField(max_length=COMMENT_BODY_MAX_LENGTH)
    # initial: the browsable API's checkbox starts ticked (an unticked box posts an internal note).
    public = serializers.BooleanField(default=True, initial=True)


class CommentOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    body = serializers.CharField()
    public = serializers.BooleanField()
    author_user = serializers.UUIDField(
        source="author_user.public_id", default=None, allow_null=True
    )
    author_customer = serializers.UUIDField(
        source="author_customer.public_id", default=None, allow_null=True
    )
    author = serializers.SerializerMethodField(
        help_text="Who wrote it: a member (type user) or the customer (type customer); null "
        "for the system."
    )
    created_at = serializers.DateTimeField()

    @extend_schema_field(CommentAuthorSerializer(allow_null=True))
    def get_author(self, comment) -> dict | None:
        if comment.author_user is not None:
            return {**PersonSerializer(comment.author_user).data, "type": "user"}
        if comment.author_customer is not None:
            return {**PersonSerializer(comment.author_customer).data, "type": "customer"}
        return None


class TicketEventOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    field = serializers.CharField()
    old = serializers.JSONField(source="old_value")
    new = serializers.JSONField(source="new_value")
    old_display = serializers.SerializerMethodField(
        help_text="`old` as a person reads it: a member as name <email>, lists joined, yes/no."
    )
    new_display = serializers.SerializerMethodField(help_text="`new` as a person reads it.")
    actor = serializers.CharField(source="actor_label")
    actor_user = serializers.UUIDField(source="actor_user.public_id", default=None, allow_null=True)
    actor_detail = PersonSerializer(
        source="actor_user",
        allow_null=True,
        help_text="The member who made the change, "
        "readably (null: a customer, an API key, an integration or the system; see `actor`).",
    )
    created_at = serializers.DateTimeField()

    def get_old_display(self, event) -> str:
        return history.value_text(event.old_value, event.field, self.context.get("people", {}))

    def get_new_display(self, event) -> str:
        return history.value_text(event.new_value, event.field, self.context.get("people", {}))
