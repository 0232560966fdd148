"""Tasks enqueued by name resolve in a process that never imported their module (a web
process: only workers import every app's tasks at start)."""

import subprocess
import sys
import textwrap

import pytest

from tenants.tasks_base import task_by_name

PROBE = textwrap.dedent(
    """
    import sys
    import django

    django.setup()
    assert "tickets.tasks" not in sys.modules, "the probe must start without the module"
    from tenants.tasks_base import task_by_name

    print(task_by_name("tickets.tasks.ticket_export_task").name)
    """
)


def test_a_task_resolves_by_name_before_its_module_was_imported():
    result = subprocess.run(  # noqa: S603 (our own interpreter and probe)
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "tickets.tasks.ticket_export_task"


def test_an_unknown_task_name_is_an_error():
    from celery.exceptions import NotRegistered

    with pytest.raises(NotRegistered):
        task_by_name("tickets.tasks.no_such_task")
