"""TenantQuerySet.bulk_create takes any iterable, a generator included (it fills in the tenant
first: an iterator used up there used to create nothing, silently)."""

import pytest

from tenants.context import tenant_context
from tenants.models import AuditLogEntry

pytestmark = pytest.mark.django_db


def test_bulk_create_of_a_generator_creates_every_row_in_the_current_tenant(tenant):
    with tenant_context(tenant):
        rows = AuditLogEntry.objects.bulk_create(
            AuditLogEntry(action=f"x.{n}", target_type="x", target_id=str(n), actor_label="t")
            for n in range(3)
        )
        stored = sorted(AuditLogEntry.objects.values_list("action", "tenant_id"))

    assert len(rows) == 3
    assert stored == [("x.0", tenant.pk), ("x.1", tenant.pk), ("x.2", tenant.pk)]
