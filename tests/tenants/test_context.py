"""The app wall: tenant_context, the fail-closed manager, tenant stamping, scoped fields."""

import pytest
from django.db import ProgrammingError, connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers

from tenants.api.base import TenantViewSet
from tenants.api.fields import TenantScopedRelatedField
from tenants.context import TenantContextMissing, current_tenant_id, tenant_context
from tenants.models import AuditLogEntry
from tests.tenants.recipes import audit_entry_recipe


def _db_state():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('app.tenant_id', true), current_setting('role'), current_user"
        )
        return cursor.fetchone()


def test_default_manager_fails_closed_outside_a_tenant(db):
    with pytest.raises(TenantContextMissing):
        AuditLogEntry.objects.count()
    with pytest.raises(TenantContextMissing):
        AuditLogEntry.objects.filter(action="x")


def test_default_manager_is_scoped_inside_a_tenant(tenant, other_tenant):
    with tenant_context(other_tenant):
        audit_entry_recipe.make(tenant=other_tenant, _quantity=2)
    with tenant_context(tenant):
        audit_entry_recipe.make(tenant=tenant)
        seen = list(AuditLogEntry.objects.values_list("tenant_id", flat=True))

    assert seen == [tenant.pk]


def test_context_sets_guc_role_and_contextvar(tenant, settings):
    before = _db_state()
    with tenant_context(tenant):
        inside = _db_state()
        inside_var = current_tenant_id()
    after = _db_state()

    assert before[0] in ("", None)
    assert inside == (str(tenant.pk), settings.TENANCY_DB_ROLE, settings.TENANCY_DB_ROLE)
    assert inside_var == tenant.pk
    assert after[0] == "" and after[1] == "none"
    assert current_tenant_id() is None


def test_nested_context_restores_the_outer_tenant(tenant, other_tenant):
    with tenant_context(tenant):
        with tenant_context(other_tenant):
            inner = (_db_state()[0], current_tenant_id())
        outer = (_db_state()[0], current_tenant_id())

    assert inner == (str(other_tenant.pk), other_tenant.pk)
    assert outer == (str(tenant.pk), tenant.pk)


def test_nested_context_restores_after_an_exception(tenant, other_tenant):
    with tenant_context(tenant):
        with pytest.raises(RuntimeError):
            with tenant_context(other_tenant):
                raise RuntimeError("boom")
        outer = (_db_state()[0], current_tenant_id())
        count = AuditLogEntry.objects.count()  # the transaction is still usable

    assert outer == (str(tenant.pk), tenant.pk)
    assert count == 0


def test_reentering_the_same_tenant_costs_no_query(tenant, django_assert_num_queries):
    with tenant_context(tenant):
        with django_assert_num_queries(0):
            with tenant_context(tenant.pk):
                inner = current_tenant_id()

    assert inner == tenant.pk


def test_connection_is_clean_after_a_tenant_request(member, api_client, tenant):
    client = api_client(member("viewer"))

    response = client.get(f"/api/v1/t/{tenant.slug}/members/")
    guc, role, _ = _db_state()

    assert response.status_code == 200
    assert guc == "" and role == "none"
    assert current_tenant_id() is None


def test_save_stamps_the_current_tenant(tenant):
    with tenant_context(tenant):
        entry = AuditLogEntry(actor_label="a", action="x", target_type="t", target_id="1")
        entry.save()

    assert entry.tenant_id == tenant.pk


def test_save_outside_a_tenant_fails_closed(db):
    entry = AuditLogEntry(actor_label="a", action="x", target_type="t", target_id="1")

    with pytest.raises(TenantContextMissing):
        entry.save()


def test_bulk_create_stamps_the_current_tenant_and_fails_closed_outside(tenant):
    def fresh():
        return [
            AuditLogEntry(actor_label="a", action=f"x{i}", target_type="t", target_id=str(i))
            for i in range(3)
        ]

    with pytest.raises(TenantContextMissing):
        AuditLogEntry.objects.bulk_create(fresh())
    with tenant_context(tenant):
        created = AuditLogEntry.objects.bulk_create(fresh())
        count = AuditLogEntry.objects.count()

    assert {e.tenant_id for e in created} == {tenant.pk}
    assert count == 3


def test_bulk_create_takes_a_generator_too(tenant):
    rows = (
        AuditLogEntry(actor_label="a", action=f"g{i}", target_type="t", target_id=str(i))
        for i in range(2)
    )

    with tenant_context(tenant):
        created = AuditLogEntry.objects.bulk_create(rows)
        stored = AuditLogEntry.objects.filter(action__startswith="g").count()

    assert (len(created), stored) == (2, 2)


def test_save_update_carries_a_literal_tenant_predicate(tenant):
    with tenant_context(tenant):
        entry = audit_entry_recipe.make(tenant=tenant)
        entry.target_label = "changed"
        with CaptureQueriesContext(connection) as captured:
            # UPDATE is not granted on the audit log: the statement is still sent, then refused.
            with pytest.raises(ProgrammingError) as error, transaction.atomic():
                entry.save(update_fields=["target_label"])
    updates = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]

    assert "permission denied" in str(error.value)
    assert len(updates) == 1
    assert '"tenant_id" = ' in updates[0]


class _EntryRefSerializer(serializers.Serializer):
    entry = TenantScopedRelatedField(queryset_fn=lambda tenant_id: AuditLogEntry.unscoped.all())


def test_scoped_field_resolves_only_the_current_tenants_ids(tenant, other_tenant):
    with tenant_context(other_tenant):
        foreign = audit_entry_recipe.make(tenant=other_tenant)
    with tenant_context(tenant):
        own = audit_entry_recipe.make(tenant=tenant)
        ok = _EntryRefSerializer(data={"entry": str(own.public_id)})
        ok_valid = ok.is_valid()
        bad = _EntryRefSerializer(data={"entry": str(foreign.public_id)})
        bad_valid = bad.is_valid()
        junk = _EntryRefSerializer(data={"entry": "not-a-uuid"})
        junk_valid = junk.is_valid()

    assert ok_valid and ok.validated_data["entry"] == own
    assert not bad_valid and "entry" in bad.errors
    assert not junk_valid and "entry" in junk.errors


def test_scoped_field_outside_a_tenant_resolves_nothing(tenant):
    with tenant_context(tenant):
        own = audit_entry_recipe.make(tenant=tenant)

    outside = _EntryRefSerializer(data={"entry": str(own.public_id)})

    assert not outside.is_valid()
    assert "entry" in outside.errors


def test_tenant_viewsets_cannot_override_tenant_resolution_or_scoping():
    with pytest.raises(TypeError, match="get_queryset"):

        class _Leaky(TenantViewSet):
            def get_queryset(self):
                return AuditLogEntry.unscoped.all()

    with pytest.raises(TypeError, match="initial"):

        class _Skipper(TenantViewSet):
            def initial(self, request, *args, **kwargs):
                return None


def test_a_mixin_ahead_of_the_base_cannot_override_it_either():
    class _Loosening:
        authentication_classes = []
        throttle_classes = []

    with pytest.raises(TypeError, match="authentication_classes, throttle_classes"):

        class _Mixed(_Loosening, TenantViewSet):
            pass


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_persistent_connection_is_clean_after_committed_requests(
    member, api_client, tenant, other_tenant
):
    # The production path: each request owns (and commits) its transaction on a connection
    # that is kept for the next request.
    first = api_client(member("owner"))
    second = api_client(member("owner", tenant=other_tenant))

    a = first.get(f"/api/v1/t/{tenant.slug}/members/")
    backend_after_a = connection.connection.info.backend_pid
    state_after_a = _db_state()
    b = second.get(f"/api/v1/t/{other_tenant.slug}/members/")
    backend_after_b = connection.connection.info.backend_pid

    assert backend_after_a == backend_after_b  # the same session served both requests
    assert state_after_a[:2] == ("", "none")
    assert {r["user"]["email"] for r in a.json()["results"]}.isdisjoint(
        {r["user"]["email"] for r in b.json()["results"]}
    )
