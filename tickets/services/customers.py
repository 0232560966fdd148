"""Writes of customers: create (or find by email), update, delete."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from config.errors import NotFoundError
from tenants import events
from tenants.access import Actor
from tenants.models import Tenant
from tenants.services import audit_log_record
from tenants.validation import fields_clean
from tickets.events import CustomerCreated, CustomerUpdated
from tickets.exceptions import CustomerHasTicketsError
from tickets.models import Customer, Ticket
from tickets.selectors import customer_get_for_update
from tickets.services.gdpr import customer_ensure_not_erased, customer_tickets_lock
from tickets.services.sla_settings import sla_recompute_schedule
from tickets.services.versions import ExpectedVersion, version_check
from tickets.validation import CUSTOMER_RULES

_CUSTOMER_FIELDS = ("email", "name", "tier", "company", "phone", "crm_id", "metadata")
_EMAIL_TAKEN = "A customer with this email already exists."


def _by_email(tenant: Tenant, email: str):
    # Emails are stored lowercased: an exact match uses the (tenant_id, email) index.
    return Customer.objects.filter(tenant=tenant, email=email.strip().lower())


def _email_taken(*, tenant: Tenant, email: str, exclude_pk: int | None = None) -> bool:
    queryset = _by_email(tenant, email)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.exists()


@transaction.atomic
def customer_create(*, tenant: Tenant, actor: Actor, email: str, **fields: Any) -> Customer:
    """Create a customer; the email must be new in this tenant (case-insensitively).

    Raises ValidationError for a bad or unknown field (before any write) or a taken email.
    """
    fields = fields_clean({"email": email, **fields}, CUSTOMER_RULES)
    email = fields.pop("email")
    if _email_taken(tenant=tenant, email=email):
        raise ValidationError({"email": _EMAIL_TAKEN})
    try:
        with transaction.atomic():
            customer = Customer.objects.create(tenant=tenant, email=email, **fields)
    except IntegrityError as exc:  # a concurrent create won
        raise ValidationError({"email": _EMAIL_TAKEN}) from exc
    events.publish(
        CustomerCreated(id=str(customer.public_id), tier=customer.tier, version=customer.version),
        tenant=tenant,
        actor=actor,
    )
    return customer


# No savepoint of its own (two statements less on every ticket opened by email address): it
# writes only through customer_create, which has one, and an error it lets out fails the
# caller's atomic block, as its callers (ticket_create, the help center) let it out too.
@transaction.atomic(savepoint=False)
def customer_find_or_create(
    *, tenant: Tenant, actor: Actor, email: str, name: str = "", with_sla_config: bool = False
) -> Customer:
    """Return the tenant's customer with this email, creating it if there is none.

    The customer comes back locked against erase and delete until the caller's transaction
    ends (see customer_get_for_update), so whatever the caller attaches to it cannot slip past
    an erasure. One erased while we waited no longer has the email: a new customer is created.
    An error it raises (a bad address) fails the enclosing atomic block: a caller that goes on
    after catching it needs a savepoint of its own around the call. `with_sla_config`: see
    customer_get_for_update (a customer found reads it in the same statement).
    """
    email = fields_clean({"email": email, "name": name}, CUSTOMER_RULES)["email"]
    try:
        return customer_get_for_update(
            tenant=tenant, email=email, no_key=True, with_sla_config=with_sla_config
        )
    except NotFoundError:
        pass
    try:
        return customer_create(tenant=tenant, actor=actor, email=email, name=name)
    except ValidationError:  # created concurrently in between: use (and lock) that one
        return customer_get_for_update(tenant=tenant, email=email, no_key=True)


@transaction.atomic
def customer_update(
    *,
    tenant: Tenant,
    actor: Actor,
    customer: Customer,
    expected_version: ExpectedVersion = None,
    **changes: Any,
) -> Customer:
    """Change a customer's fields (optimistic concurrency through `expected_version`).

    Raises ValidationError (a bad or unknown field), NotFoundError (deleted meanwhile),
    CustomerErasedError, PreconditionFailedError.
    """
    changes = fields_clean(changes, CUSTOMER_RULES)
    customer = customer_get_for_update(tenant=tenant, pk=customer.pk, no_key=True)
    customer_ensure_not_erased(customer=customer)
    version_check(customer, expected_version)
    if "email" in changes and _email_taken(
        tenant=tenant, email=changes["email"], exclude_pk=customer.pk
    ):
        raise ValidationError({"email": _EMAIL_TAKEN})
    changed = [f for f in _CUSTOMER_FIELDS if f in changes and getattr(customer, f) != changes[f]]
    if not changed:
        return customer
    for field in changed:
        setattr(customer, field, changes[field])
    customer.version += 1
    try:
        with transaction.atomic():
            customer.save(update_fields=[*changed, "version", "updated_at"])
    except IntegrityError as exc:  # the same email was taken concurrently
        raise ValidationError({"email": _EMAIL_TAKEN}) from exc
    if "tier" in changed:  # the requester's tier picks the SLA policy of their open tickets
        sla_recompute_schedule(tenant=tenant, requester_id=customer.pk)
    events.publish(
        CustomerUpdated(
            id=str(customer.public_id),
            tier=customer.tier,
            changed=changed,
            version=customer.version,
        ),
        tenant=tenant,
        actor=actor,
    )
    return customer


@transaction.atomic
def customer_delete(
    *,
    tenant: Tenant,
    actor: Actor,
    customer: Customer,
    expected_version: ExpectedVersion = None,
) -> None:
    """Delete a customer who has no tickets (erase is the way for everyone else).

    Raises NotFoundError (deleted meanwhile), PreconditionFailedError, CustomerHasTicketsError.
    """
    # FOR UPDATE: a ticket create locks its requester first (NO KEY UPDATE), so no ticket can
    # appear between the check and the delete.
    customer = customer_get_for_update(tenant=tenant, pk=customer.pk)
    version_check(customer, expected_version)
    if Ticket.objects.filter(tenant=tenant, requester=customer).exists():
        raise CustomerHasTicketsError()
    # The delete clears the customer from comments and history on other customers' tickets:
    # take those tickets first, in the one lock order, as every other writer of them does.
    customer_tickets_lock(tenant=tenant, customer=customer)
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="customer.deleted",
        target_type="customer",
        target_id=str(customer.public_id),
    )
    customer.delete()
