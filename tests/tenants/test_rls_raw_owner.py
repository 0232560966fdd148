"""Raw SQL against the real policies, as the table owner: FORCE ROW LEVEL SECURITY binds it.

Apart from test_rls_raw.py, whose rows live in one transaction for the whole module: this
test needs committed rows (transaction=True), which cannot share that transaction.
"""

import pytest
from django.db import ProgrammingError, transaction

from tests.tenants.test_rls_raw import _scalar_rows, fill_both


@pytest.fixture
def rows_in_both(tenant, other_tenant):
    fill_both(tenant, other_tenant)


# Committed rows (transaction=True): the owner's connection cannot see the test transaction.
@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_forced_rls_binds_the_table_owner_too(rows_in_both, tenant, other_tenant):
    # The owner can UPDATE, but FORCE makes the policy apply: no tenant -> no rows, and a
    # row cannot be moved into another tenant (WITH CHECK).
    [(count,)] = _scalar_rows("SELECT count(*) FROM tenants_auditlogentry", using="owner")
    with transaction.atomic(using="owner"):
        _scalar_rows(
            "SELECT set_config('app.tenant_id', %s, true)", [str(tenant.pk)], using="owner"
        )
        visible = _scalar_rows(
            "SELECT DISTINCT tenant_id FROM tenants_auditlogentry", using="owner"
        )
        with pytest.raises(ProgrammingError, match="row-level security"):
            with transaction.atomic(using="owner"):
                _scalar_rows(
                    "UPDATE tenants_auditlogentry SET tenant_id = %s RETURNING id",
                    [other_tenant.pk],
                    using="owner",
                )

    assert count == 0
    assert visible == [(tenant.pk,)]
