"""tenant_context behaviours mutation testing found untested: entering again where the
transaction is gone, restoring per database alias, and what the failure says."""

import contextvars

import pytest
from django.db import connections

from tenants.context import TenantContextMissing, require_tenant_id, tenant_context
from tenants.models import AuditLogEntry
from tests.tenants.recipes import audit_entry_recipe


def _state(alias):
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT current_setting('app.tenant_id', true), current_setting('role')")
        return cursor.fetchone()


def test_missing_context_says_what_was_touched_and_how_to_fix_it(db):
    with pytest.raises(TenantContextMissing) as raised:
        require_tenant_id()

    assert str(raised.value) == "tenant-owned data used outside tenant_context()"


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_reentering_the_same_tenant_outside_its_transaction_applies_it_again(tenant):
    with tenant_context(tenant):
        audit_entry_recipe.make(tenant=tenant, _quantity=2)
        carried = contextvars.copy_context()  # e.g. a callback scheduled from inside
    # The transaction (and the settings PostgreSQL held for it) ended; the ContextVar copy
    # still names the tenant. Entering again must set the database side up again, not trust
    # the ContextVar.

    def count():
        with tenant_context(tenant):
            return AuditLogEntry.objects.count(), _state("default")[0]

    rows, guc = carried.run(count)

    assert (rows, guc) == (2, str(tenant.pk))


@pytest.mark.django_db(databases=["default", "owner"])
def test_an_inner_context_on_another_alias_restores_that_alias_only(tenant, other_tenant, settings):
    with tenant_context(tenant):
        with tenant_context(other_tenant, using="owner"):
            inner_owner = _state("owner")
        after_owner = _state("owner")
        after_default = _state("default")

    assert inner_owner == (str(other_tenant.pk), settings.TENANCY_DB_ROLE)
    # The owner connection had no outer tenant: it is cleared, not given the default's tenant.
    assert after_owner == ("", "none")
    assert after_default == (str(tenant.pk), settings.TENANCY_DB_ROLE)
