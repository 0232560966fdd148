"""Celery is configured for at-least-once delivery on Redis (research/reliability.md §3, R-E3,
R-E5): the values as Celery reads them (a misspelt setting name would leave a default), the
time limits, the visibility timeout and the outbox lease consistent with each other, and no
message that waits in Redis longer than the visibility timeout."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

import config.settings.base as base_settings
from config.celery import app
from tenants.outbox import outbox_models

ROOT = Path(settings.BASE_DIR)
APPS = ("config", "tenants", "tickets", "knowledge_base", "notifications", "integrations")
# Call and task options that make a message wait in the broker (seconds, or a datetime).
DELAY_OPTIONS = {"countdown", "eta", "default_retry_delay", "retry_backoff_max"}


def _visibility_timeout() -> int:
    return app.conf.broker_transport_options["visibility_timeout"]


def _project_tasks() -> list:
    app.loader.import_default_modules()
    return [task for name, task in sorted(app.tasks.items()) if name.startswith(APPS)]


def test_a_task_is_acknowledged_after_it_ran_and_requeued_if_its_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_messages_are_json_only():
    assert list(app.conf.accept_content) == ["json"]
    assert app.conf.task_serializer == "json"


def _limits(task) -> tuple[int, int]:
    """(soft, hard) time limits of `task`: its own, else the defaults."""
    return (
        task.soft_time_limit or app.conf.task_soft_time_limit,
        task.time_limit or app.conf.task_time_limit,
    )


def test_every_task_has_time_limits():
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert [t.name for t in _project_tasks() if not 0 < _limits(t)[0] < _limits(t)[1]] == []


def test_the_visibility_timeout_outlasts_every_task_and_the_outbox_lease():
    visibility = _visibility_timeout()

    assert app.conf.result_backend_transport_options["visibility_timeout"] == visibility
    assert app.conf.visibility_timeout == visibility
    assert visibility >= app.conf.task_time_limit
    assert visibility >= settings.OUTBOX_LEASE_SECONDS
    assert [task.name for task in _project_tasks() if _limits(task)[1] > visibility] == []


def test_the_outbox_lease_outlasts_every_delivery_task():
    delivery_tasks = {
        model.outbox_task
        for tenant_owned in (True, False)
        for model in outbox_models(tenant_owned=tenant_owned)
    }

    assert delivery_tasks >= {
        "notifications.tasks.email_delivery_send_task",
        "notifications.tasks.account_email_send_task",
    }
    assert settings.OUTBOX_LEASE_SECONDS > settings.OUTBOX_TASK_TIME_LIMIT
    assert {app.tasks[name].time_limit for name in delivery_tasks} == {
        settings.OUTBOX_TASK_TIME_LIMIT
    }


def _delays(path: Path) -> list[tuple[str, str]]:
    """(where, option) for every delay option in `path` that is not a number of seconds
    within the visibility timeout."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg not in DELAY_OPTIONS:
                continue
            value = keyword.value
            literal = isinstance(value, ast.Constant) and isinstance(value.value, int | float)
            if not literal or value.value > _visibility_timeout():
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", keyword.arg))
    return found


def _sources() -> list[Path]:
    return [
        path
        for app_name in APPS
        for path in sorted((ROOT / app_name).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def test_no_message_waits_in_redis_longer_than_the_visibility_timeout():
    # Retries wait in PostgreSQL (the outbox's next_attempt_at), never in a countdown: Redis
    # would redeliver a message held past the visibility timeout, again and again.
    assert len(_sources()) > 50
    assert [delay for path in _sources() for delay in _delays(path)] == []
    # A task that retries through Celery (none does today) waits at most this long.
    retrying = [t for t in _project_tasks() if getattr(t, "autoretry_for", ())]
    assert [
        task.name
        for task in retrying
        if max(task.default_retry_delay, task.retry_backoff_max or 0) > _visibility_timeout()
    ] == []


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("task.apply_async(kwargs={}, countdown=30)", []),
        ("task.apply_async(kwargs={}, countdown=7200)", ["countdown"]),
        ("task.apply_async(kwargs={}, eta=tomorrow)", ["eta"]),
        ("shared_task(default_retry_delay=delay)", ["default_retry_delay"]),
    ],
)
def test_the_delay_check_flags_a_long_or_unknown_delay(tmp_path, monkeypatch, source, found):
    monkeypatch.setattr("tests.test_celery_config.ROOT", tmp_path)
    path = tmp_path / "module.py"
    path.write_text(source + "\n")

    assert [option for _, option in _delays(path)] == found


def test_production_settings_never_run_tasks_eagerly():
    assert base_settings.CELERY_TASK_ALWAYS_EAGER is False
