"""The system checks refuse delivery timings from the environment that break the outbox."""

from tenants.checks import outbox_timings_check


def test_the_default_timings_pass():
    assert outbox_timings_check() == []


def test_a_lease_no_longer_than_the_task_limit_is_an_error(settings):
    settings.OUTBOX_LEASE_SECONDS = settings.OUTBOX_TASK_TIME_LIMIT

    assert [error.id for error in outbox_timings_check()] == ["tenantdesk.E001"]


def test_a_visibility_timeout_below_a_task_limit_is_an_error(settings):
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        "visibility_timeout": settings.CELERY_TASK_TIME_LIMIT - 1,
    }

    assert [error.id for error in outbox_timings_check()] == ["tenantdesk.E002"]
