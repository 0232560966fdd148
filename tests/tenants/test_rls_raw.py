"""Raw SQL against the real policies: what PostgreSQL itself lets each role see and write.

(The table owner's side, which needs committed rows, is in test_rls_raw_owner.py.)"""

import pytest
from django.apps import apps
from django.db import IntegrityError, ProgrammingError, connections, transaction

from integrations.models import (
    CrmConnection,
    CrmSync,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from knowledge_base.models import Article, ArticleRevision, ArticleSlug, Category
from notifications.models import (
    EmailDelivery,
    EmailSuppression,
    InboundEmail,
    InboundSecret,
    Notification,
    NotificationPreference,
)
from tenants.context import tenant_context
from tenants.models import AuditLogEntry, IdempotencyRecord, TenantModel
from tests.conftest import module_world, world_for_test
from tests.integrations.recipes import (
    crm_connection_recipe,
    crm_sync_recipe,
    webhook_attempt_recipe,
    webhook_delivery_recipe,
    webhook_endpoint_recipe,
)
from tests.knowledge_base.recipes import (
    article_recipe,
    article_revision_recipe,
    article_slug_recipe,
    category_recipe,
)
from tests.notifications.recipes import (
    email_delivery_recipe,
    inbound_email_recipe,
    inbound_secret_recipe,
    notification_recipe,
    preference_recipe,
    suppression_recipe,
)
from tests.tenants.recipes import audit_entry_recipe, idempotency_record_recipe, tenant_recipe
from tests.tickets.recipes import (
    assignment_cursor_recipe,
    attachment_recipe,
    business_hours_recipe,
    comment_recipe,
    customer_recipe,
    export_job_recipe,
    sla_policy_recipe,
    ticket_counter_recipe,
    ticket_event_recipe,
    ticket_recipe,
)
from tickets.models import (
    AssignmentCursor,
    Attachment,
    BusinessHours,
    Comment,
    Customer,
    ExportJob,
    SlaPolicy,
    Ticket,
    TicketCounter,
    TicketEvent,
)

# One recipe per tenant model: a new tenant table without one fails the first test below.
RECIPES = {
    AuditLogEntry: audit_entry_recipe,
    IdempotencyRecord: idempotency_record_recipe,
    Customer: customer_recipe,
    TicketCounter: ticket_counter_recipe,
    AssignmentCursor: assignment_cursor_recipe,
    SlaPolicy: sla_policy_recipe,
    BusinessHours: business_hours_recipe,
    Ticket: ticket_recipe,
    Comment: comment_recipe,
    TicketEvent: ticket_event_recipe,
    Attachment: attachment_recipe,
    ExportJob: export_job_recipe,
    EmailDelivery: email_delivery_recipe,
    EmailSuppression: suppression_recipe,
    Notification: notification_recipe,
    NotificationPreference: preference_recipe,
    InboundEmail: inbound_email_recipe,
    InboundSecret: inbound_secret_recipe,
    WebhookEndpoint: webhook_endpoint_recipe,
    WebhookDelivery: webhook_delivery_recipe,
    WebhookAttempt: webhook_attempt_recipe,
    CrmConnection: crm_connection_recipe,
    CrmSync: crm_sync_recipe,
    Category: category_recipe,
    Article: article_recipe,
    ArticleSlug: article_slug_recipe,
    ArticleRevision: article_revision_recipe,
}
# How many rows a model gets per tenant (one counter row and one inbound secret per tenant).
QUANTITY = {
    TicketCounter: 1,
    InboundSecret: 1,
    AssignmentCursor: 1,
    BusinessHours: 1,
    CrmConnection: 1,
}
TENANT_MODELS = sorted(
    (m for m in apps.get_models() if issubclass(m, TenantModel)), key=lambda m: m._meta.label
)


def _scalar_rows(sql, params=None, using="default"):
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def _make_with_tenant(recipe, tenant):
    # Related rows the recipe creates (a ticket's customer…) belong to the same tenant.
    related = {
        name: _make_with_tenant(value.recipe, tenant)
        for name, value in recipe.attr_mapping.items()
        if hasattr(value, "recipe")
    }
    return recipe.make(tenant=tenant, **related)


def fill_both(tenant, other_tenant):
    """Rows of every tenant model in both tenants."""
    for t in (tenant, other_tenant):
        with tenant_context(t):
            for model in TENANT_MODELS:
                for _ in range(QUANTITY.get(model, 2)):
                    _make_with_tenant(RECIPES[model], t)


# Two tenants with rows in every tenant table, built once for the module (tests/conftest.py
# module_world, which asserts no tenant context is left applied: a leaked app.tenant_id would
# make the "no tenant sees no rows" tests below pass for the wrong reason). Each test runs in a
# savepoint inside the module's transaction, rolled back afterwards. Their own slugs: the
# tests here that need no rows make a fresh alpha and bravo (`tenant`, `other_tenant`), which
# RLS keeps from seeing these rows.
@pytest.fixture(scope="module")
def _rows_world(django_db_setup, django_db_blocker):
    def build():
        tenants = (
            tenant_recipe.make(slug="rls-alpha", name="RLS Alpha"),
            tenant_recipe.make(slug="rls-bravo", name="RLS Bravo"),
        )
        fill_both(*tenants)
        return tenants

    with module_world(django_db_blocker, build) as world:
        yield world


@pytest.fixture
def rows_in_both(db, _rows_world):
    """(tenant, other_tenant), each with rows in every tenant table."""
    return world_for_test(_rows_world)


def test_every_tenant_model_has_a_recipe_here():
    assert set(TENANT_MODELS) == set(RECIPES)


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m._meta.db_table)
def test_runtime_role_without_tenant_sees_no_rows(rows_in_both, model):
    table = model._meta.db_table

    [(count,)] = _scalar_rows(f'SELECT count(*) FROM "{table}"')  # noqa: S608

    assert count == 0


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m._meta.db_table)
def test_unfiltered_select_inside_a_tenant_returns_only_that_tenant(rows_in_both, model):
    tenant, other_tenant = rows_in_both
    table = model._meta.db_table

    with tenant_context(tenant):
        inside = _scalar_rows(f'SELECT DISTINCT tenant_id FROM "{table}"')  # noqa: S608
    with tenant_context(other_tenant):
        other = _scalar_rows(f'SELECT DISTINCT tenant_id FROM "{table}"')  # noqa: S608

    assert inside == [(tenant.pk,)]
    assert other == [(other_tenant.pk,)]


def test_insert_for_another_tenant_is_refused(tenant, other_tenant):
    with tenant_context(tenant):
        with pytest.raises(ProgrammingError, match="row-level security"):
            with transaction.atomic():
                _scalar_rows(
                    "INSERT INTO tenants_auditlogentry (tenant_id, public_id, actor_label, "
                    "action, target_type, target_id, target_label, request_id, created_at) "
                    "VALUES (%s, gen_random_uuid(), 'x', 'x', 'x', 'x', '', '', now()) "
                    "RETURNING id",
                    [other_tenant.pk],
                )
        count = AuditLogEntry.objects.count()

    assert count == 0


def test_insert_without_tenant_is_refused(tenant):
    with pytest.raises(ProgrammingError, match="row-level security"):
        with transaction.atomic():
            _scalar_rows(
                "INSERT INTO tenants_auditlogentry (tenant_id, public_id, actor_label, action, "
                "target_type, target_id, target_label, request_id, created_at) "
                "VALUES (%s, gen_random_uuid(), 'x', 'x', 'x', 'x', '', '', now()) RETURNING id",
                [tenant.pk],
            )


def test_runtime_role_cannot_rewrite_the_audit_log(rows_in_both):
    tenant, _ = rows_in_both
    with tenant_context(tenant):
        with pytest.raises(ProgrammingError, match="permission denied"):
            with transaction.atomic():
                _scalar_rows("UPDATE tenants_auditlogentry SET action = 'forged' RETURNING id")
        with pytest.raises(ProgrammingError, match="permission denied"):
            with transaction.atomic():
                _scalar_rows("DELETE FROM tenants_auditlogentry RETURNING id")
        actions = set(AuditLogEntry.objects.values_list("action", flat=True))

    assert "forged" not in actions
    assert len(actions) == 2


def test_composite_foreign_key_refuses_another_tenants_row(tenant, other_tenant):
    # Referential checks bypass RLS: only the (tenant_id, requester_id) key stops this.
    with tenant_context(other_tenant):
        foreign_customer = customer_recipe.make(tenant=other_tenant)
    with tenant_context(tenant):
        with pytest.raises(IntegrityError, match="tickets_ticket_requester_tfk"):
            with transaction.atomic():
                Ticket.unscoped.create(
                    tenant=tenant, number=1, subject="x", requester_id=foreign_customer.pk
                )
        count = Ticket.objects.count()

    assert count == 0


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m._meta.db_table)
def test_a_row_read_is_the_instance_django_would_make(rows_in_both, model):
    # TenantModel.from_db builds instances without Model.__init__: the same state as Django's.
    from django.db import models

    tenant, _ = rows_in_both
    attnames = [field.attname for field in model._meta.concrete_fields]
    with tenant_context(tenant):
        read = list(model.objects.order_by("pk"))
        rows = list(model.objects.order_by("pk").values_list(*attnames))
    made = [models.Model.from_db.__func__(model, "default", attnames, row) for row in rows]

    assert read, model  # the world has a row of every tenant model
    assert "_row_attnames" in vars(model)  # read through TenantModel.from_db's own path
    for ours, django in zip(read, made, strict=True):
        assert type(ours) is type(django)
        assert {k: v for k, v in vars(ours).items() if k != "_state"} == {
            k: v for k, v in vars(django).items() if k != "_state"
        }
        assert (ours._state.adding, ours._state.db) == (False, "default")
        assert (django._state.adding, django._state.db) == (False, "default")
