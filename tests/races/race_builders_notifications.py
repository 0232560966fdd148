"""Races of the notifications routes (test_write_routes.py's HARNESS). Nothing there can be
deleted through the API, so each write races the write that meets it on the same rows."""

from notifications.models import Notification, NotificationPreference
from tenants.models import AuditLogEntry, Role
from tests.notifications.recipes import email_delivery_recipe, notification_recipe
from tests.races.race_harness import Harness, Race, exactly_one


def _inbox(h: Harness, unread: int):
    person = h.member(Role.AGENT)
    notes = h.within(
        lambda: [notification_recipe.make(tenant=h.tenant, user=person.user) for _ in range(unread)]
    )
    return person, notes


def _notification_read(h: Harness) -> Race:
    """Reading one while read-all runs: it is read once, and the answer shows the time kept."""
    person, [note] = _inbox(h, 1)
    answers = []
    client = h.client(person)

    def read():
        answers.append(client.post(f"{h.base}/notifications/{note.public_id}/read/"))
        return answers[-1]

    def check(write, competitor):
        stored = h.within(lambda: Notification.objects.get(pk=note.pk).read_at)
        assert stored is not None
        assert answers[-1].json()["read_at"] == stored.isoformat().replace("+00:00", "Z"), (
            answers[-1].json(),
            stored,
        )

    return Race(
        write=read,
        competitor=h.send("POST", f"{h.base}/notifications/read-all/", None, person),
        check=check,
    )


def _notification_read_all(h: Harness) -> Race:
    """Two read-alls: every notification is counted as marked exactly once."""
    person, notes = _inbox(h, 3)
    client_a, client_b = h.client(person), h.client(person)
    answers = []

    def read_all(client):
        answers.append(client.post(f"{h.base}/notifications/read-all/"))
        return answers[-1]

    def check(write, competitor):
        assert sum(answer.json()["marked"] for answer in answers[-2:]) == len(notes)

    return Race(
        write=lambda: read_all(client_a), competitor=lambda: read_all(client_b), check=check
    )


def _preferences_patch(h: Harness) -> Race:
    """Two first choices at once (both insert the same row): both land, no 500."""
    person = h.member(Role.AGENT)
    url = f"{h.base}/notification-preferences/"

    def check(write, competitor):
        rows = h.within(
            lambda: list(
                NotificationPreference.objects.filter(user=person.user).values_list(
                    "kind", "channel"
                )
            )
        )
        assert sorted(rows) == [("assigned_to_you", "email")]

    return Race(
        write=h.send("PATCH", url, {"assigned_to_you": {"email": False}}, person),
        competitor=h.send("PATCH", url, {"assigned_to_you": {"email": True}}, person),
        check=check,
    )


def _redeliver(h: Harness) -> Race:
    """Two redelivers of one dead email: one puts it back in line, the other is a 409."""
    # A deliverable row: once redelivered it ends sent (eager tasks here), never back in
    # a redeliverable state, so a second redeliver is a 409 whether it came during or after.
    person = h.member(Role.AGENT)
    row = h.within(
        lambda: email_delivery_recipe.make(
            tenant=h.tenant,
            status="dead",
            attempts=6,
            kind="member_added",
            recipient=person.user.email,
            recipient_user=person.user,
        )
    )
    url = f"{h.base}/notifications/deliveries/{row.public_id}/redeliver/"

    def check(write, competitor):
        exactly_one(202)(write, competitor)
        audited = h.within(
            lambda: AuditLogEntry.objects.filter(
                action="email.redelivered", target_id=str(row.public_id)
            ).count()
        )
        assert audited == 1

    return Race(write=h.send("POST", url), competitor=h.send("POST", url), check=check)
