from datetime import timedelta

import pytest
from celery import shared_task
from django.utils import timezone
from knox.models import AuthToken

from config.celery import app
from config.logging import request_id_var, user_id_var
from notifications.tasks import email_delivery_send_task
from tenants.access import Actor
from tenants.context import TenantContextMissing, current_tenant_id, tenant_context
from tenants.models import AuditLogEntry, IdempotencyRecord, Tenant
from tenants.services import auth_token_create, tenant_delete
from tenants.tasks import auth_token_purge_expired_task, idempotency_purge_task
from tenants.tasks_base import TenantTask, _propagate_log_context
from tests.tenants.recipes import (
    audit_entry_recipe,
    idempotency_record_recipe,
    user_recipe,
)

PROJECT_APPS = {"config", "tenants", "tickets", "knowledge_base", "notifications", "integrations"}
# Tasks allowed to run without a tenant (they work on global control tables or fan out).
ALLOWED_GLOBAL_TASKS = {
    "tenants.tasks.auth_token_purge_expired_task",
    # Account emails: users are a control table, not tenant data (a platform outbox table).
    "notifications.tasks.account_email_send_task",
    "tenants.tasks.idempotency_purge_task",  # fan-out: lists tenants, enqueues TenantTasks
    "tickets.tasks.export_files_expire_task",  # fan-out as well
    "tenants.tasks.outbox_sweep_task",  # platform outbox rows, then fan-out per tenant
    "tenants.tasks.outbox_purge_task",  # the same
    "tickets.tasks.sla_sweep_task",  # fan-out per active tenant
}


@shared_task(base=TenantTask, name="tests.count_visible_audit_entries")
def count_visible_audit_entries(*, tenant_id):
    return current_tenant_id(), AuditLogEntry.unscoped.count()


def test_every_project_task_is_a_tenant_task_or_allow_listed():
    # Every app's tasks module, whichever tests ran before (a worker imports them all too).
    app.autodiscover_tasks(force=True)
    # By the module that defines the task, not its name (a task may be given any name).
    project_tasks = {
        name: task
        for name, task in app.tasks.items()
        if type(task).__module__.split(".")[0] in PROJECT_APPS
    }
    not_scoped = {name for name, task in project_tasks.items() if not isinstance(task, TenantTask)}

    assert "notifications.tasks.email_delivery_send_task" in project_tasks
    assert not_scoped == ALLOWED_GLOBAL_TASKS


def test_tenant_task_without_tenant_id_refuses_to_run(db):
    with pytest.raises(TenantContextMissing):
        email_delivery_send_task(row_id=1)


def test_tenant_task_sees_only_its_tenants_rows(tenant, other_tenant):
    for t, n in ((tenant, 2), (other_tenant, 5)):
        with tenant_context(t):
            audit_entry_recipe.make(tenant=t, _quantity=n)

    # .unscoped has no app-level filter: only RLS stands between the task and other tenants.
    result = count_visible_audit_entries.delay(tenant_id=other_tenant.pk).get()

    assert tuple(result) == (other_tenant.pk, 5)


def test_expired_tokens_are_purged_and_live_ones_kept(db):
    user = user_recipe.make()
    expired, _ = auth_token_create(user=user)
    live, _ = auth_token_create(user=user)
    AuthToken.objects.filter(pk=expired.pk).update(expiry=timezone.now() - timezone.timedelta(1))

    deleted = auth_token_purge_expired_task.delay().get()

    assert deleted == 1
    assert list(AuthToken.objects.values_list("pk", flat=True)) == [live.pk]


def test_publishing_carries_request_id_and_user_into_task_headers():
    headers: dict = {}
    request_token = request_id_var.set("req-abcdef12")
    user_token = user_id_var.set("user-1")
    try:
        _propagate_log_context(headers=headers)
    finally:
        user_id_var.reset(user_token)
        request_id_var.reset(request_token)
    untouched: dict = {}
    _propagate_log_context(headers=untouched)

    assert headers == {"request_id": "req-abcdef12", "user_id": "user-1"}
    assert untouched == {}


@shared_task(base=TenantTask, bind=True, name="tests.log_context_seen")
def log_context_seen(self, *, tenant_id):
    return request_id_var.get(), user_id_var.get(), current_tenant_id()


def test_tenant_task_runs_with_the_log_context_from_its_message(tenant):
    # Simulates a worker: the context arrives as message headers, not from the caller.
    result = log_context_seen.apply(
        kwargs={"tenant_id": tenant.pk}, headers={"request_id": "req-1234abcd", "user_id": "u-9"}
    ).get()

    assert tuple(result) == ("req-1234abcd", "u-9", tenant.pk)
    assert request_id_var.get() is None


def test_idempotency_purge_removes_only_expired_records_of_every_tenant(tenant, other_tenant):
    now = timezone.now()
    for t in (tenant, other_tenant):
        with tenant_context(t):
            idempotency_record_recipe.make(tenant=t, key="old", expires_at=now - timedelta(1))
            idempotency_record_recipe.make(tenant=t, key="new", expires_at=now + timedelta(1))

    fanned_out = idempotency_purge_task.delay().get()

    assert fanned_out == 2
    for t in (tenant, other_tenant):
        with tenant_context(t):
            assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_idempotency_purge_covers_deactivated_tenants(tenant, other_tenant):
    now = timezone.now()
    for t in (tenant, other_tenant):
        with tenant_context(t):
            idempotency_record_recipe.make(tenant=t, key="old", expires_at=now - timedelta(1))
            idempotency_record_recipe.make(tenant=t, key="new", expires_at=now + timedelta(1))
    tenant_delete(tenant=other_tenant, actor=Actor())
    assert not Tenant.objects.get(pk=other_tenant.pk).is_active

    fanned_out = idempotency_purge_task.delay().get()

    assert fanned_out == 2
    with tenant_context(other_tenant):
        assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    with tenant_context(tenant):
        assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_every_beat_entry_names_a_registered_global_task():
    app.autodiscover_tasks(force=True)
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}

    assert scheduled <= set(app.tasks)
    # Beat sends no tenant: each entry is a fan-out (or a control-table job), never a TenantTask.
    assert not [name for name in scheduled if isinstance(app.tasks[name], TenantTask)]
    assert "tenants.tasks.outbox_sweep_task" in scheduled
