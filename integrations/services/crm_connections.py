"""The CRM connection and its sync log: every write of the CRM API goes through here.

Each service re-validates its input, locks the row it changes and re-checks it after the
lock, and writes an audit entry; a connection's credentials are never in an entry (a change
says only that they were replaced).
"""

import json
import re
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from config.errors import ConflictError, NotFoundError
from integrations.crm import is_identifier
from integrations.models import (
    CrmConnection,
    CrmProvider,
    CrmSync,
)
from integrations.services import rules
from tenants.access import Actor
from tenants.models import Tenant
from tenants.models.outbox import FINAL_STATUSES, OutboxStatus
from tenants.outbox import outbox_redeliver
from tenants.services.audit import audit_log_record
from tenants.validation import boolean_check, fields_clean, model_rule, text_check
from tickets.services.versions import ExpectedVersion, version_check

# --- CRM connection ---------------------------------------------------------------------------

HUBSPOT_BASE_URL = "https://api.hubapi.com"
DEFAULT_EXTERNAL_ID_FIELD = "Tenantdesk_Id__c"
CRM_BASE_URL_MAX_LENGTH = CrmConnection._meta.get_field("base_url").max_length
CRM_FIELD_NAME_MAX_LENGTH = CrmConnection._meta.get_field("tier_property").max_length
ACCESS_TOKEN_MAX_LENGTH = 4096
# Printable ASCII without spaces: what an Authorization header can carry as it is (HubSpot's
# "pat-na1-…", Salesforce's "00D…!AQ…").
_ACCESS_TOKEN = re.compile(r"[\x21-\x7e]+")
CREDENTIALS_SHAPE = 'Must be an object: {"access_token": "…"}.'
ACCESS_TOKEN_RULE = (
    f"access_token must be 1-{ACCESS_TOKEN_MAX_LENGTH} printable ASCII characters without spaces."
)
SALESFORCE_BASE_URL_REQUIRED = (
    "Salesforce needs the org's instance URL, e.g. https://yourorg.my.salesforce.com."
)
FIELD_NAME_RULE = "An API name: letters, digits and underscores, starting with a letter."


class CrmConnectionExistsError(ConflictError):
    code = "crm_connection_exists"
    message = "This tenant has a CRM connection already; change or delete that one."


class CrmSyncNotFinishedError(ConflictError):
    code = "crm_sync_not_finished"
    message = "This sync is still pending or being sent; it can be sent again once finished."


def crm_base_url_rule(field: str, value: Any) -> str:
    """The CRM's address: the outbound guard's rules (as a webhook URL), and an origin only
    (https://host[:port]): the clients append the API paths to it. A trailing / is dropped."""
    value = text_check(field, value, max_length=CRM_BASE_URL_MAX_LENGTH, blank=False).strip()
    try:
        value = rules._url_check(value)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc
    parts = urlsplit(value)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValidationError(
            {field: "The CRM's address only (https://host), without a path, query or fragment."}
        )
    return value.rstrip("/")


def crm_credentials_rule(field: str, value: Any) -> str:
    """{"access_token": "…"} as the JSON text the connection stores (encrypted). Messages never
    repeat what was sent: it is a secret."""
    if not isinstance(value, dict):
        raise ValidationError({field: CREDENTIALS_SHAPE})
    if set(value) - {"access_token"}:
        raise ValidationError({field: 'Only "access_token" is accepted.'})
    token = value.get("access_token")
    if token is None:
        raise ValidationError({field: "access_token is required."})
    if (
        not isinstance(token, str)
        or len(token) > ACCESS_TOKEN_MAX_LENGTH
        or not _ACCESS_TOKEN.fullmatch(token)
    ):
        raise ValidationError({field: ACCESS_TOKEN_RULE})
    return json.dumps({"access_token": token})


def crm_field_name_rule(field: str, value: Any) -> str:
    """A CRM property or field API name (integrations.crm.is_identifier), or blank for none:
    it goes into the CRM's URL paths and queries."""
    value = text_check(field, value, max_length=CRM_FIELD_NAME_MAX_LENGTH).strip()
    if value and not is_identifier(value):
        raise ValidationError({field: FIELD_NAME_RULE})
    return value


CRM_RULES = {
    "base_url": crm_base_url_rule,
    "credentials": crm_credentials_rule,
    "enabled": boolean_check,
    "tier_property": crm_field_name_rule,
    "external_id_field": crm_field_name_rule,
}
CRM_CREATE_RULES = {"provider": model_rule(CrmConnection, "provider"), **CRM_RULES}


def _crm_provider_check(provider: str, cleaned: dict[str, Any], *, creating: bool) -> None:
    """What one provider needs that the other does not have (ValidationError otherwise)."""
    if provider == CrmProvider.HUBSPOT and "external_id_field" in cleaned:
        raise ValidationError(
            {"external_id_field": "Only Salesforce connections have an External ID field."}
        )
    if provider != CrmProvider.SALESFORCE:
        return
    if creating and "base_url" not in cleaned:
        raise ValidationError({"base_url": SALESFORCE_BASE_URL_REQUIRED})
    if "external_id_field" in cleaned and not cleaned["external_id_field"]:
        raise ValidationError(
            {"external_id_field": "Salesforce upserts contacts by this field: name it."}
        )


def crm_connection_get_for_update(*, tenant: Tenant, connection_id: int) -> CrmConnection:
    """Lock the connection (it is read again after the lock). Raises NotFoundError when gone."""
    connection = (
        CrmConnection.objects.select_for_update().filter(tenant=tenant, pk=connection_id).first()
    )
    if connection is None:
        raise NotFoundError()
    return connection


def _crm_audited(connection: CrmConnection) -> dict[str, Any]:
    # Everything but the credentials (base_url is an origin: no token in a path or query).
    return {
        "provider": connection.provider,
        "base_url": connection.base_url,
        "enabled": connection.enabled,
        "tier_property": connection.tier_property,
        "external_id_field": connection.external_id_field,
    }


def _crm_audit(
    tenant: Tenant,
    actor: Actor,
    action: str,
    connection: CrmConnection,
    *,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action=action,
        target_type="crm_connection",
        target_id=str(connection.public_id),
        target_label=f"{connection.get_provider_display()} {connection.base_url}",
        before=before,
        after=after,
    )


@transaction.atomic
def crm_connection_create(
    *,
    tenant: Tenant,
    actor: Actor,
    provider: Any,
    credentials: Any,
    **fields: Any,
) -> CrmConnection:
    """Connect the tenant's CRM (one per tenant): `base_url` defaults to HubSpot's API for
    HubSpot and is required for Salesforce (the org's instance URL); `external_id_field`
    (Salesforce only) defaults to Tenantdesk_Id__c. The credentials are stored encrypted and
    never audited. Raises ValidationError, CrmConnectionExistsError."""
    cleaned = fields_clean(
        {"provider": provider, "credentials": credentials, **fields}, CRM_CREATE_RULES
    )
    _crm_provider_check(cleaned["provider"], cleaned, creating=True)
    if cleaned["provider"] == CrmProvider.HUBSPOT:
        cleaned.setdefault("base_url", HUBSPOT_BASE_URL)
        cleaned["external_id_field"] = ""
    else:
        cleaned.setdefault("external_id_field", DEFAULT_EXTERNAL_ID_FIELD)
    if CrmConnection.objects.filter(tenant=tenant).exists():
        raise CrmConnectionExistsError()
    connection = CrmConnection(tenant=tenant, **cleaned)
    try:
        with transaction.atomic():
            connection.save()
    except IntegrityError as exc:  # another create committed first (one per tenant)
        raise CrmConnectionExistsError() from exc
    _crm_audit(tenant, actor, "crm_connection.created", connection, after=_crm_audited(connection))
    return connection


@transaction.atomic
def crm_connection_update(
    *,
    tenant: Tenant,
    actor: Actor,
    connection: CrmConnection,
    expected_version: ExpectedVersion = None,
    **changes: Any,
) -> CrmConnection:
    """Change the connection's base_url (checked again), credentials (replaced), enabled,
    tier_property or external_id_field (Salesforce); the provider stays. Audited without the
    credentials. Raises ValidationError, NotFoundError, PreconditionFailedError."""
    cleaned = fields_clean(changes, CRM_RULES)
    locked = crm_connection_get_for_update(tenant=tenant, connection_id=connection.pk)
    version_check(locked, expected_version)
    _crm_provider_check(locked.provider, cleaned, creating=False)
    changed = [name for name, value in cleaned.items() if getattr(locked, name) != value]
    if "base_url" in changed and "credentials" not in cleaned:
        # The stored token goes wherever base_url points: a new address needs the token
        # given again, or the write-only credentials could be sent to any host.
        raise ValidationError(
            {"credentials": "Give the credentials again when the CRM's address changes."}
        )
    if not changed:
        return locked
    before = _crm_audited(locked)
    for name in changed:
        setattr(locked, name, cleaned[name])
    locked.version += 1
    locked.save(update_fields=[*changed, "version", "updated_at"])
    audited = _crm_audited(locked)
    shown = [name for name in changed if name != "credentials"]
    after = {name: audited[name] for name in shown}
    if "credentials" in changed:
        after["credentials_replaced"] = True
    _crm_audit(
        tenant,
        actor,
        "crm_connection.updated",
        locked,
        before={name: before[name] for name in shown},
        after=after,
    )
    return locked


@transaction.atomic
def crm_connection_delete(
    *,
    tenant: Tenant,
    actor: Actor,
    connection: CrmConnection,
    expected_version: ExpectedVersion = None,
) -> None:
    """Disconnect the CRM: the connection goes with its sync log (pending syncs are never
    sent). Contacts already in the CRM stay there. Raises NotFoundError,
    PreconditionFailedError."""
    locked = crm_connection_get_for_update(tenant=tenant, connection_id=connection.pk)
    version_check(locked, expected_version)
    _crm_audit(tenant, actor, "crm_connection.deleted", locked, before=_crm_audited(locked))
    locked.delete()


@transaction.atomic
def crm_sync_redeliver(*, tenant: Tenant, actor: Actor, sync: CrmSync) -> CrmSync:
    """Send a finished sync (sent, failed, dead or suppressed) again: a fresh series of
    attempts, with the customer as it is then. Audited. Raises NotFoundError,
    CrmSyncNotFinishedError (pending or being sent)."""
    locked = CrmSync.objects.select_for_update().filter(tenant=tenant, pk=sync.pk).first()
    if locked is None:  # its connection was deleted meanwhile
        raise NotFoundError()
    if locked.status not in FINAL_STATUSES:
        raise CrmSyncNotFinishedError()
    previous = locked.status
    outbox_redeliver(locked)
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="crm_sync.redelivered",
        target_type="crm_sync",
        target_id=str(locked.public_id),
        target_label=f"{locked.action} {locked.customer_public_id}",
        before={"status": previous},
        after={"status": OutboxStatus.PENDING},
    )
    locked.refresh_from_db()
    return locked
