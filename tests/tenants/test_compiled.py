"""CompiledQuery: a queryset compiled once per process gives what the ORM gives, and refuses
the queries it cannot run safely (tenants/compiled.py)."""

from uuid import UUID

import pytest
from django.db.models import F, Value
from django.utils import timezone

from tenants.access import Actor
from tenants.compiled import CompiledQuery
from tenants.context import TenantContextMissing, tenant_context
from tenants.models import AuditLogEntry, Membership, Role, Tenant
from tenants.selectors import tenant_access_resolve
from tenants.services import audit_log_record

pytestmark = pytest.mark.django_db


def _memberships(user_id, slug):
    return (
        Membership.objects.select_related("tenant")
        .filter(user_id=user_id, tenant__slug=slug)
        .annotate(doubled=F("id") * 2, label=Value("x"))
        .order_by("id")
    )


def _as_data(membership):
    return (
        {f.attname: getattr(membership, f.attname) for f in Membership._meta.concrete_fields},
        {f.attname: getattr(membership.tenant, f.attname) for f in Tenant._meta.concrete_fields},
        membership.doubled,
        membership.label,
    )


@pytest.fixture
def people(tenant, other_tenant, member):
    agent = member(Role.AGENT)
    Membership.objects.create(user=agent.user, tenant=other_tenant, role=Role.VIEWER)
    Tenant.objects.filter(pk=tenant.pk).update(settings={"auto_assign": True, "n": [1, 2]})
    return agent.user


def test_a_compiled_query_gives_the_orms_instances_for_any_values(
    tenant, other_tenant, people, member
):
    compiled = CompiledQuery(_memberships, user_id=int, slug=str)
    stranger = member(Role.AGENT, tenant=other_tenant).user

    for user_id, slug in [
        (people.pk, tenant.slug),
        (people.pk, other_tenant.slug),
        (stranger.pk, tenant.slug),
        (people.pk, "no-such-tenant"),
    ]:
        got = compiled.fetch(user_id=user_id, slug=slug)
        expected = list(_memberships(user_id, slug))
        assert [_as_data(m) for m in got] == [_as_data(m) for m in expected]

    [mine] = compiled.fetch(user_id=people.pk, slug=tenant.slug)
    assert mine.tenant.settings == {"auto_assign": True, "n": [1, 2]}  # JSON converted
    assert mine.created_at.tzinfo is not None
    assert mine._state.adding is False and mine.tenant._state.adding is False


def test_a_compiled_query_runs_one_statement(tenant, people, django_assert_num_queries):
    compiled = CompiledQuery(_memberships, user_id=int, slug=str)
    compiled.fetch(user_id=people.pk, slug=tenant.slug)  # compiles: no statement either

    with django_assert_num_queries(1):
        compiled.fetch(user_id=people.pk, slug=tenant.slug)


def test_the_membership_resolution_applies_the_tenant_and_refuses_strangers(tenant, people):
    access = tenant_access_resolve(user=people, api_key=None, slug=tenant.slug, apply_context=True)

    assert access.tenant == tenant and access.role == Role.AGENT
    assert access.membership.user is people
    with tenant_context(tenant, savepoint=False, applied=True):
        assert AuditLogEntry.objects.count() == 0  # the settings the query applied hold
    Membership.objects.filter(user=people, tenant=tenant).update(is_active=False)
    assert tenant_access_resolve(user=people, api_key=None, slug=tenant.slug) is None


@pytest.mark.parametrize(
    "build",
    [
        # The value reaches the SQL transformed ('%…%'), not as itself.
        lambda slug: Tenant.objects.filter(slug__icontains=slug),
        # The value never reaches the SQL.
        lambda slug: Tenant.objects.filter(is_active=True),
        # A parameter that is not the value and not fixed: a time taken when it is built.
        lambda slug: Tenant.objects.filter(slug=slug, created_at__lte=timezone.now()),
    ],
    ids=["transformed", "unused", "unfixed"],
)
def test_a_query_whose_parameters_are_not_plainly_its_values_is_refused(tenant, build):
    compiled = CompiledQuery(build, slug=str)

    with pytest.raises(ValueError, match="CompiledQuery"):
        compiled.fetch(slug=tenant.slug)


def test_a_tenant_model_cannot_bake_the_current_tenant_into_the_sql(tenant, other_tenant):
    # Compiled inside a tenant's context, the fail-closed manager would put that tenant's id
    # into the parameters for every later tenant: it is compiled outside any context instead.
    for t in (tenant, other_tenant):
        audit_log_record(
            tenant=t, actor=Actor(), action="test.one", target_type="t", target_id=str(t.pk)
        )
    scoped = CompiledQuery(lambda action: AuditLogEntry.objects.filter(action=action), action=str)

    with tenant_context(tenant), pytest.raises(TenantContextMissing):
        scoped.fetch(action="test.one")

    scoped = CompiledQuery(
        lambda tenant_id, action: AuditLogEntry.unscoped.filter(tenant_id=tenant_id, action=action),
        tenant_scoped=True,
        action=str,
    )
    for t in (tenant, other_tenant, tenant):
        with tenant_context(t):
            [entry] = scoped.fetch(action="test.one")
        assert entry.tenant_id == t.pk  # each run for the tenant current then
    with pytest.raises(TenantContextMissing):  # fail closed, as the manager does
        scoped.fetch(action="test.one")
    with tenant_context(tenant), pytest.raises(TypeError, match="current one"):
        scoped.fetch(action="test.one", tenant_id=other_tenant.pk)
    with pytest.raises(TypeError, match="tenant_scoped"):
        CompiledQuery(lambda tenant_id: AuditLogEntry.unscoped.all(), tenant_id=int)


def test_values_must_be_given_all_and_with_their_types(tenant):
    compiled = CompiledQuery(lambda slug: Tenant.objects.filter(slug=slug), slug=str)

    with pytest.raises(TypeError):
        compiled.fetch(slug=7)
    with pytest.raises(TypeError):
        compiled.fetch()
    with pytest.raises(TypeError):
        compiled.fetch(slug=tenant.slug, other="x")
    with pytest.raises(TypeError, match="int, str or UUID"):
        CompiledQuery(lambda flag: Tenant.objects.filter(is_active=flag), flag=bool).fetch(
            flag=True
        )
    assert [t.pk for t in compiled.fetch(slug=tenant.slug)] == [tenant.pk]
    assert (
        CompiledQuery(
            lambda public_id: Membership.objects.filter(public_id=public_id), public_id=UUID
        ).fetch(public_id=UUID(int=0))
        == []
    )
