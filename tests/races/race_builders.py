"""The races of test_write_routes.py's HARNESS table: for each write route, a builder that
takes the Harness and returns the Race of one round (the write and what runs at the same
moment)."""

import os

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from notifications.inbound.services import inbound_secret_rotate
from notifications.models import InboundEmail, InboundSecret
from tenants import services as tenant_services
from tenants.models import ApiKey, AuditLogEntry, Role
from tests.notifications.inbound_helpers import email
from tests.races.race_harness import PII, Harness, Race, _media_root, exactly_one, one_wins
from tickets.models import ExportJob, Ticket


def _tenant_patch(h: Harness) -> Race:
    return Race(
        write=h.send("PATCH", f"{h.base}/", {"name": "Renamed"}),
        competitor=h.delete(f"{h.base}/", h.owner),
    )


def _tenant_delete(h: Harness) -> Race:
    def check(write, competitor):
        exactly_one(204)(write, competitor)
        assert AuditLogEntry.objects.filter(action="tenant.deleted").count() == 1

    return Race(
        write=h.delete(f"{h.base}/", h.owner),
        competitor=h.delete(f"{h.base}/", h.owner),
        check=lambda w, c: h.within(lambda: check(w, c)),
    )


def _invite(h: Harness) -> Race:
    h.round += 1
    body = {"email": f"dana{h.round}@example.test", "role": "agent"}
    return Race(
        write=h.send("POST", f"{h.base}/invitations/", body),
        competitor=h.send("POST", f"{h.base}/invitations/", body),
        check=exactly_one(201),
    )


def _invitation_url(h: Harness) -> str:
    h.round += 1
    invitation = tenant_services.invitation_create(
        tenant=h.tenant, actor=h.actor, email=f"erin{h.round}@example.test", role=Role.AGENT
    )
    return f"{h.base}/invitations/{invitation.public_id}/"


def _invitation_revoke(h: Harness) -> Race:
    url = _invitation_url(h)
    return Race(write=h.delete(url), competitor=h.delete(url), check=exactly_one(204))


def _invitation_resend(h: Harness) -> Race:
    url = _invitation_url(h)
    return Race(write=h.send("POST", f"{url}resend/"), competitor=h.delete(url))


def _member_target(h: Harness) -> str:
    return f"{h.base}/members/{h.member(Role.AGENT).public_id}/"


def _member_patch(h: Harness) -> Race:
    url = _member_target(h)
    return Race(write=h.send("PATCH", url, {"role": "viewer"}), competitor=h.delete(url))


def _member_availability(h: Harness) -> Race:
    url = _member_target(h)
    return Race(
        write=h.send("POST", f"{url}availability/", {"is_available": False}),
        competitor=h.delete(url),
    )


def _member_delete(h: Harness) -> Race:
    url = _member_target(h)
    return Race(write=h.delete(url), competitor=h.delete(url), check=exactly_one(204))


def _api_key_create(h: Harness) -> Race:
    creator = h.member(Role.ADMIN)

    def no_key_outlives_the_demotion(write, competitor):
        live = ApiKey.objects.filter(created_by=creator.user, revoked_at__isnull=True)
        assert not live.exists(), (write, competitor)

    return Race(
        write=h.send("POST", f"{h.base}/api-keys/", {"name": "ci", "role": "agent"}, creator),
        competitor=h.send(
            "PATCH", f"{h.base}/members/{creator.public_id}/", {"role": "agent"}, h.owner
        ),
        check=no_key_outlives_the_demotion,
    )


def _api_key_revoke(h: Harness) -> Race:
    api_key, _ = tenant_services.api_key_create(
        tenant=h.tenant, actor=h.actor, name="ci", role="agent"
    )
    url = f"{h.base}/api-keys/{api_key.public_id}/"
    return Race(write=h.delete(url), competitor=h.delete(url), check=exactly_one(204))


def _customer_create(h: Harness) -> Race:
    h.round += 1
    body = {"email": f"carol{h.round}@example.test"}
    return Race(
        write=h.send("POST", f"{h.base}/customers/", body),
        competitor=h.send("POST", f"{h.base}/customers/", body),
        check=exactly_one(201),
    )


def _customer_patch(h: Harness) -> Race:
    url = h.customer_url(h.customer().customer)
    return Race(write=h.send("PATCH", url, {"name": "Carol"}), competitor=h.delete(url))


def _customer_delete(h: Harness) -> Race:
    url = h.customer_url(h.customer().customer)
    return Race(write=h.delete(url), competitor=h.delete(url), check=exactly_one(204))


def _customer_erase_vs_delete(h: Harness) -> Race:
    url = h.customer_url(h.customer().customer)
    return Race(write=h.send("POST", f"{url}erase/"), competitor=h.delete(url))


def _customer_erase_vs_ticket_create(h: Harness) -> Race:
    world = h.customer(with_ticket=True)
    body = {"subject": PII, "requester": str(world.customer.public_id)}
    return Race(
        write=h.send("POST", f"{h.customer_url(world.customer)}erase/"),
        competitor=h.send("POST", f"{h.base}/tickets/", body),
    )


def _ticket_create(h: Harness) -> Race:
    customer = h.customer().customer
    body = {"subject": PII, "requester": str(customer.public_id)}
    return Race(
        write=h.send("POST", f"{h.base}/tickets/", body),
        competitor=h.delete(h.customer_url(customer)),
        check=one_wins(201, 204),
    )


def _ticket_patch(h: Harness) -> Race:
    url = h.ticket_url(h.ticket().ticket)
    return Race(write=h.send("PATCH", url, {"priority": "high"}), competitor=h.delete(url))


def _ticket_delete(h: Harness) -> Race:
    url = h.ticket_url(h.ticket(attachment=True).ticket)
    return Race(write=h.delete(url), competitor=h.delete(url), check=exactly_one(204))


def _ticket_assign(h: Harness) -> Race:
    url = h.ticket_url(h.ticket().ticket)
    body = {"assignee": str(h.admin.user.public_id)}
    return Race(write=h.send("POST", f"{url}assign/", body), competitor=h.delete(url))


def _ticket_comment(h: Harness) -> Race:
    url = h.ticket_url(h.ticket().ticket)
    return Race(
        write=h.send("POST", f"{url}comments/", {"body": "On it"}), competitor=h.delete(url)
    )


def _ticket_write_vs_erase(h: Harness, write: str) -> Race:
    """A write on a ticket (taking the ticket, then writing rows that reference its requester)
    against an erase of that requester (taking the requester, then the ticket)."""
    world = h.customer(with_ticket=True)
    url = h.ticket_url(world.ticket)
    other = h.ticket().ticket
    client = h.client()

    def upload():
        file = SimpleUploadedFile("note.txt", b"agent notes", "text/plain")
        return client.post(f"{url}attachments/", {"file": file}, format="multipart")

    writes = {
        "patch": h.send("PATCH", url, {"priority": "high"}),
        "assign": h.send("POST", f"{url}assign/", {"assignee": str(h.admin.user.public_id)}),
        "comment": h.send("POST", f"{url}comments/", {"body": "On it"}),
        "merge": h.send("POST", f"{url}merge/", {"into": other.number}),
        "bulk": h.send(
            "POST",
            f"{h.base}/tickets/bulk/",
            {"numbers": [world.ticket.number], "changes": {"priority": "high"}},
        ),
        "upload": upload,
    }
    return Race(
        write=writes[write],
        competitor=h.send("POST", f"{h.customer_url(world.customer)}erase/"),
    )


def _merge(h: Harness, victim: str) -> Race:
    source, target = h.ticket(attachment=True).ticket, h.ticket().ticket
    url = f"{h.ticket_url(source)}merge/"
    write = h.send("POST", url, {"into": target.number})
    if victim == "same merge":
        return Race(
            write=write,
            competitor=h.send("POST", url, {"into": target.number}),
            check=exactly_one(200),
        )
    deleted = source if victim == "source" else target
    return Race(write=write, competitor=h.delete(h.ticket_url(deleted)))


def _bulk(h: Harness) -> Race:
    first, second = h.ticket().ticket, h.ticket().ticket
    body = {"numbers": [first.number, second.number], "changes": {"priority": "high"}}
    return Race(
        write=h.send("POST", f"{h.base}/tickets/bulk/", body),
        competitor=h.delete(h.ticket_url(second)),
    )


def _upload(h: Harness) -> Race:
    ticket = h.ticket(attachment=True).ticket
    client = h.client()
    url = f"{h.ticket_url(ticket)}attachments/"

    def upload():
        file = SimpleUploadedFile("late.txt", b"late bytes", "text/plain")
        return client.post(url, {"file": file}, format="multipart")

    return Race(write=upload, competitor=h.delete(h.ticket_url(ticket)))


def _attachment_delete(h: Harness, victim: str) -> Race:
    world = h.ticket(attachment=True)
    url = f"{h.ticket_url(world.ticket)}attachments/{world.attachment.public_id}/"
    if victim == "attachment":
        return Race(write=h.delete(url), competitor=h.delete(url), check=exactly_one(204))
    return Race(write=h.delete(url), competitor=h.delete(h.ticket_url(world.ticket)))


def _export_vs_erase(h: Harness) -> Race:
    world = h.customer(with_ticket=True)

    def no_copy_left(write, competitor):
        # The CSV of the export must not hold what the erasure removed.
        for job in h.within(lambda: list(ExportJob.objects.exclude(storage_key=""))):
            with open(os.path.join(_media_root(), job.storage_key), encoding="utf-8") as csv:
                assert PII not in csv.read()

    return Race(
        write=h.send("POST", f"{h.base}/exports/", {"filters": {}}),
        competitor=h.send("POST", f"{h.customer_url(world.customer)}erase/"),
        check=no_copy_left,
    )


# --- Inbound email ----------------------------------------------------------------------------


def _inbound_email(h: Harness) -> Race:
    """The same message delivered twice at once: filed once (the other is a duplicate)."""
    h.round += 1
    sender, msgid = f"ann{h.round}@example.test", f"<race-{h.round}@mail.example.test>"
    raw = email(sender=sender, msgid=msgid)
    _, secret = h.within(lambda: inbound_secret_rotate(tenant=h.tenant, actor=h.actor))

    def post():
        return APIClient().generic(
            "POST",
            f"{h.base}/inbound-email/",
            raw,
            "message/rfc822",
            HTTP_AUTHORIZATION=f"Inbound-Secret {secret}",
        )

    def filed_once(write, competitor):
        assert Ticket.objects.filter(requester__email=sender).count() == 1
        assert InboundEmail.objects.filter(message_id=msgid).count() == 1

    return Race(write=post, competitor=post, check=lambda w, c: h.within(lambda: filed_once(w, c)))


def _inbound_secret_rotate(h: Harness) -> Race:
    """Two rotations at once: both answer, one secret remains."""
    url = f"{h.base}/inbound-email/secret/"

    def one_secret(write, competitor):
        assert InboundSecret.objects.count() == 1

    return Race(
        write=h.send("POST", url),
        competitor=h.send("POST", url),
        check=lambda w, c: h.within(lambda: one_secret(w, c)),
    )
