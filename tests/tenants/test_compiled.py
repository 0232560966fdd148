"""CompiledQuery: a queryset compiled once per process gives what the ORM gives, and refuses
the queries it cannot run safely (tenants/compiled.py)."""

from uuid import UUID

import pytest
from django.db import connection
from django.db.models import F, Value
from django.db.models.functions import Now
from django.db.models.signals import post_save
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.models import EmailDelivery, EmailKind
from tenants.access import Actor
from tenants.compiled import CompiledInsert, CompiledQuery, Computed
from tenants.context import TenantContextMissing, tenant_context
from tenants.models import AuditLogEntry, IdempotencyRecord, Membership, Role, Tenant, User
from tenants.selectors import tenant_access_resolve
from tenants.services import audit_log_record
from tickets.models import Customer

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


# --- CompiledInsert ---------------------------------------------------------------------------


def _record(**fields):
    now = timezone.now()
    return IdempotencyRecord(
        **{
            "principal": "user:x",
            "key": "k",
            "fingerprint": "f" * 64,
            "method": "POST",
            "path": "/p",
            "response_status": 201,
            "response_body": {"at": now, "id": UUID(int=7), "n": [1, "é"]},
            "response_headers": {"ETag": '"1"'},
            "created_at": now,
            "expires_at": now,
            **fields,
        }
    )


def _stored(pk):
    row = IdempotencyRecord.objects.filter(pk=pk).values().get()
    return {k: v for k, v in row.items() if k not in ("id", "public_id", "key")}


def test_an_insert_writes_what_the_orms_insert_writes(tenant, django_assert_num_queries):
    inserts = CompiledInsert(IdempotencyRecord)
    with tenant_context(tenant):
        inserts.insert(_record(key="warm-up"))  # compiles
        orm = _record(key="orm")
        orm.save()
        fast = _record(key="fast", created_at=orm.created_at, expires_at=orm.expires_at)
        fast.response_body = orm.response_body

        with django_assert_num_queries(1):
            returned = inserts.insert(fast)

        assert returned is fast and fast.pk is not None and fast._state.adding is False
        assert fast.tenant_id == tenant.pk  # taken from the context, as save() does
        assert _stored(fast.pk) == _stored(orm.pk)
    with pytest.raises(TenantContextMissing):
        inserts.insert(_record(key="nowhere"))


def test_an_upsert_returns_the_existing_rows_key_on_a_conflict(tenant):
    upserts = CompiledInsert(
        EmailDelivery,
        update_conflicts=(["tenant", "event_id", "kind", "recipient"], ["updated_at"]),
    )

    def row(when):
        return EmailDelivery(
            event_id=UUID(int=1),
            event_type="ticket.created",
            kind=EmailKind.TICKET_RECEIVED,
            recipient="a@example.test",
            message_id="<m@example.test>",
            updated_at=when,
        )

    with tenant_context(tenant):
        first = upserts.insert(row(timezone.now()))
        later = timezone.now()
        again = upserts.insert(row(later))

        assert again.pk == first.pk
        assert EmailDelivery.objects.get().updated_at == later


def test_an_expression_or_a_save_receiver_takes_the_orms_path(tenant):
    inserts = CompiledInsert(IdempotencyRecord)
    heard = []

    def receiver(sender, instance, created, **kwargs):
        heard.append((instance.key, created))

    with tenant_context(tenant):
        by_expression = inserts.insert(_record(key="expr", created_at=Now()))
        post_save.connect(receiver, sender=IdempotencyRecord)
        try:
            inserts.insert(_record(key="heard"))
        finally:
            post_save.disconnect(receiver, sender=IdempotencyRecord)

        by_expression.refresh_from_db()
        assert by_expression.created_at.tzinfo is not None
        assert heard == [("heard", True)]
        assert set(IdempotencyRecord.objects.values_list("key", flat=True)) == {"expr", "heard"}


def test_the_first_insert_of_a_process_keeps_the_values_it_wrote(tenant):
    # The insert compiles on its first use; the object it writes must not be touched by that
    # (auto_now would run twice and leave updated_at ahead of the stored value).
    inserts = CompiledInsert(Customer)
    with tenant_context(tenant):
        customer = inserts.insert(Customer(email="first@example.test", name="First"))
        stored = Customer.objects.get(pk=customer.pk)

    assert (customer.updated_at, customer.created_at) == (stored.updated_at, stored.created_at)


def test_an_insert_writes_only_the_current_tenants_rows(tenant, other_tenant):
    inserts = CompiledInsert(Customer)

    with tenant_context(tenant), pytest.raises(ValueError, match="another tenant"):
        inserts.insert(Customer(tenant=other_tenant, email="x@example.test"))
    with pytest.raises(TenantContextMissing):
        inserts.insert(Customer(tenant=tenant, email="x@example.test"))


def test_a_model_with_its_own_save_takes_the_orms_path(db):
    inserts = CompiledInsert(User)
    user = inserts.insert(User(email="own-save@example.test", name="U"))

    assert User.objects.filter(pk=user.pk).exists()
    assert inserts._sql is None  # never compiled: User.save() did the insert


def test_a_compiled_lock_refuses_to_run_outside_a_transaction(tenant, monkeypatch):
    locks = CompiledQuery(
        lambda slug: Tenant.objects.select_for_update().filter(slug=slug), slug=str
    )
    assert [t.pk for t in locks.fetch(slug=tenant.slug)] == [tenant.pk]  # compiled in one

    monkeypatch.setattr(connection, "get_autocommit", lambda: True)
    with pytest.raises(TransactionManagementError):
        locks.fetch(slug=tenant.slug)


def _doubled(status: int) -> Computed:
    # A column the statement computes: here from a parameter; a ticket's number, from its
    # tenant's counter (tickets.services.tickets).
    return Computed(
        field="response_status",
        cte="SELECT %s::smallint * 2 AS doubled",
        expression="doubled",
        params=lambda record: [status],
        alone=lambda record: status * 2 + 1,  # tells the ORM's path apart
    )


def test_a_computed_column_is_taken_by_the_insert_and_returned(tenant):
    inserts = CompiledInsert(IdempotencyRecord, computed=_doubled(100))
    with tenant_context(tenant):
        inserts.insert(_record(key="warm-up"))
        record = _record(key="computed", response_status=None)

        with CaptureQueriesContext(connection) as queries:
            inserts.insert(record)
        stored = IdempotencyRecord.objects.get(pk=record.pk)

    [sql] = [q["sql"] for q in queries.captured_queries]
    assert sql.startswith("WITH computed AS (SELECT 100::smallint * 2 AS doubled) INSERT INTO")
    assert (record.response_status, stored.response_status) == (200, 200)
    assert stored.key == "computed" and stored.path == "/p"  # the other columns in place


def test_a_computed_column_on_the_orms_path_is_taken_alone(tenant):
    inserts = CompiledInsert(IdempotencyRecord, computed=_doubled(100))
    heard = []

    def receiver(sender, instance, created, **kwargs):
        heard.append(instance.response_status)

    post_save.connect(receiver, sender=IdempotencyRecord)
    try:
        with tenant_context(tenant):
            record = inserts.insert(_record(key="orm", response_status=None))
            stored = IdempotencyRecord.objects.get(pk=record.pk).response_status
    finally:
        post_save.disconnect(receiver, sender=IdempotencyRecord)

    assert (record.response_status, stored, heard) == (201, 201, [201])


def test_a_computed_column_does_not_go_with_an_upsert():
    with pytest.raises(ValueError, match="upsert"):
        CompiledInsert(
            IdempotencyRecord,
            update_conflicts=(["tenant", "principal", "key"], ["fingerprint"]),
            computed=_doubled(1),
        )
