"""Emails are the notifications app's answer to events: scheduled on commit, never on rollback."""

import pytest
from django.db import transaction

from notifications.models import AccountEmail
from notifications.tasks import account_email_send_task, email_delivery_send_task
from tenants import services
from tenants.access import Actor
from tenants.models import Invitation, Role
from tenants.outbox import outbox_sweep
from tenants.tasks_base import _BrokerBreaker
from tests.notifications.helpers import deliver, deliveries


def _invite(tenant, owner, email="ivy@example.test"):
    actor = Actor(user=owner.user, role=Role.OWNER)
    return services.invitation_create(tenant=tenant, actor=actor, email=email, role=Role.AGENT)


def test_an_invitation_is_emailed_after_its_commit(
    tenant, member, mailoutbox, django_capture_on_commit_callbacks
):
    owner = member(Role.OWNER)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        invitation = _invite(tenant, owner)

    assert len(callbacks) == 1
    assert [m.to for m in mailoutbox] == [["ivy@example.test"]]
    invitation.refresh_from_db()
    assert invitation.sent_at is not None


def test_a_rolled_back_invitation_sends_nothing(
    tenant, member, mailoutbox, django_capture_on_commit_callbacks
):
    owner = member(Role.OWNER)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            _invite(tenant, owner)
            raise RuntimeError("roll back")

    assert callbacks == []
    assert mailoutbox == []
    assert not Invitation.objects.filter(tenant=tenant).exists()


def test_a_resend_emails_a_new_link(tenant, member, mailoutbox, django_capture_on_commit_callbacks):
    owner = member(Role.OWNER)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = _invite(tenant, owner)

    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_resend(
            tenant=tenant, actor=Actor(user=owner.user, role=Role.OWNER), invitation=invitation
        )

    assert len(mailoutbox) == 2
    assert mailoutbox[0].body != mailoutbox[1].body  # another token in the link


def test_registration_and_password_reset_email_after_commit(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.user_register(email="new@example.test", password="a-long-passphrase-1", name="N")
    with django_capture_on_commit_callbacks(execute=True):
        services.user_register(email="new@example.test", password="a-long-passphrase-1", name="N")
    with django_capture_on_commit_callbacks(execute=True):
        services.password_reset_request(email="new@example.test")

    assert [m.subject for m in mailoutbox] == [
        "Confirm your email address for Tenantdesk",
        "Someone tried to register with your email address on Tenantdesk",
        "Reset your Tenantdesk password",
    ]


def _broker_down(*args, **kwargs):
    raise ConnectionError("broker unreachable")


def test_an_invitation_stays_when_its_email_cannot_be_queued(
    tenant, member, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    owner = member(Role.OWNER)
    monkeypatch.setattr(email_delivery_send_task, "delay", _broker_down)

    with django_capture_on_commit_callbacks(execute=True):
        invitation = _invite(tenant, owner)  # robust: the failed enqueue is logged, not raised

    assert Invitation.objects.filter(pk=invitation.pk).exists()
    [row] = deliveries(tenant)
    assert (row.kind, row.status, mailoutbox) == ("invitation", "pending", [])
    monkeypatch.undo()
    deliver(row)  # what the sweep does once the broker is back
    assert [m.to for m in mailoutbox] == [["ivy@example.test"]]


def test_a_registration_whose_email_cannot_be_queued_still_gets_it(
    db, monkeypatch, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.OUTBOX_SWEEP_GRACE_SECONDS = 0  # the sweep runs at once here
    monkeypatch.setattr(account_email_send_task, "delay", _broker_down)

    # The email's row is committed with the account: the request answers, and the sweep
    # sends the email once the broker is back.
    with django_capture_on_commit_callbacks(execute=True):
        services.user_register(email="new@example.test", password="a-long-passphrase-1", name="N")

    [row] = AccountEmail.objects.all()
    assert (row.kind, row.status, mailoutbox) == ("verification", "pending", [])
    monkeypatch.undo()
    _BrokerBreaker.reset()  # the failed enqueue tripped it: robust enqueues wait a while
    with django_capture_on_commit_callbacks(execute=True):
        outbox_sweep()
    assert [m.subject for m in mailoutbox] == ["Confirm your email address for Tenantdesk"]
