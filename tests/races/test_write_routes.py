"""The race harness: every tenant write route against a concurrent delete of its object.

Each row of HARNESS names a write route (url name, method), what runs at the same moment
(through the API: two clients, two threads, two connections, one barrier), and the statuses
each side may answer. After every round: no 5xx and nothing outside the allowed statuses, no
orphan rows or files, no data left of an erased customer, and the row's own invariant
("exactly once" where both sides want the same change). Routes whose object the API cannot
delete race the closest thing instead, and the row says why.

A meta-test compares the table with the URL resolver: a new write route without a row here
fails the suite.
"""

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from tenants import services as tenant_services
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import ApiKey, AuditLogEntry, Role, Tenant
from tests.concurrency import race
from tests.races.conftest import status
from tests.tenant_routes import tenant_routes
from tickets import services
from tickets.models import Attachment, Comment, Customer, ExportJob, Ticket, TicketEvent
from tickets.services.gdpr import ERASED

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
ROUNDS = 2
PII = "Alice Liddell, 1 Rabbit Hole"


@dataclass
class Race:
    """One round: the write under test, what runs at the same moment, and an extra check of
    the outcome (given both statuses) beyond the harness's own invariants."""

    write: Callable
    competitor: Callable
    check: Callable[[int, int], None] = lambda write, competitor: None


@dataclass(frozen=True)
class Case:
    route: tuple[str, str]
    races: str  # what runs at the same moment (the harness table, for people)
    build: Callable[["Harness"], Race]
    allowed: frozenset[int]
    competitor_allowed: frozenset[int]
    rounds: int = ROUNDS
    case_id: str = field(default="")


class Harness:
    """The tenant, its clients, and builders of fresh objects for each round."""

    def __init__(self, *, tenant, member, api_client):
        self.tenant = tenant
        self.base = f"/api/v1/t/{tenant.slug}"
        self.member = member
        self._api_client = api_client
        self.owner = member(Role.OWNER)  # deleting the tenant is the owner's
        self.admin = member(Role.ADMIN)
        self.actor = Actor(user=self.admin.user, role=Role.ADMIN)
        self.round = 0

    def client(self, membership=None):
        """A fresh client (one per thread) of the admin, or of `membership`."""
        return self._api_client(membership or self.admin)

    def within(self, call):
        with tenant_context(self.tenant):
            return call()

    def customer(self, *, with_ticket: bool = False) -> SimpleNamespace:
        def make():
            self.round += 1
            customer = services.customer_create(
                tenant=self.tenant,
                actor=self.actor,
                email=f"alice{self.round}@example.test",
                name=PII,
            )
            ticket = None
            if with_ticket:
                ticket = services.ticket_create(
                    tenant=self.tenant, actor=self.actor, subject=PII, requester=customer
                )
            return SimpleNamespace(customer=customer, ticket=ticket)

        return self.within(make)

    def ticket(self, *, attachment: bool = False) -> SimpleNamespace:
        def make():
            self.round += 1
            ticket = services.ticket_create(
                tenant=self.tenant,
                actor=self.actor,
                subject="Printer on fire",
                customer_email=f"bob{self.round}@example.test",
            )
            file = None
            if attachment:
                file = services.attachment_create(
                    tenant=self.tenant,
                    actor=self.actor,
                    ticket=ticket,
                    file=ContentFile(b"hello", name="a.txt"),
                    filename="a.txt",
                    content_type="text/plain",
                )
            return SimpleNamespace(ticket=ticket, attachment=file)

        return self.within(make)

    def ticket_url(self, ticket) -> str:
        return f"{self.base}/tickets/{ticket.number}/"

    def customer_url(self, customer) -> str:
        return f"{self.base}/customers/{customer.public_id}/"

    def delete(self, url, membership=None):
        client = self.client(membership)
        return lambda: client.delete(url)

    def send(self, method, url, body=None, membership=None):
        client = self.client(membership)
        return lambda: client.generic(method, url, json.dumps(body or {}), "application/json")


def exactly_one(success: int):
    """Both sides want the same change: exactly one of them makes it."""

    def check(write: int, competitor: int) -> None:
        assert [write, competitor].count(success) == 1, (write, competitor)

    return check


def one_wins(write_success: int, competitor_success: int):
    """The two changes exclude each other: exactly one of them succeeds."""

    def check(write: int, competitor: int) -> None:
        won = (write == write_success) + (competitor == competitor_success)
        assert won == 1, (write, competitor)

    return check


# --- The table: route -> what it races -> allowed statuses -------------------------------------


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


def _case(route, races, build, allowed, competitor_allowed, **kwargs) -> Case:
    case_id = f"{route[0]}-{route[1]}-vs-{races.split(' (')[0].replace(' ', '-')}"
    return Case(
        route=route,
        races=races,
        build=build,
        allowed=frozenset(allowed),
        competitor_allowed=frozenset(competitor_allowed),
        case_id=case_id,
        **kwargs,
    )


# route                              races (at the same moment)       route may   competitor
HARNESS = [
    _case(("tenant-detail", "PATCH"), "DELETE of the tenant", _tenant_patch,
          {200, 404}, {204}, rounds=1),
    _case(("tenant-detail", "DELETE"), "DELETE of the tenant", _tenant_delete,
          {204, 404}, {204, 404}, rounds=1),
    _case(("invitation-list", "POST"),
          "the same POST (creates; nothing to delete: the same address invited twice)",
          _invite, {201, 400}, {201, 400}),
    _case(("invitation-detail", "DELETE"),
          "DELETE of the invitation (invitations are revoked, never deleted: DELETE revokes)",
          _invitation_revoke, {204, 409}, {204, 409}),
    _case(("invitation-resend", "POST"), "DELETE (revoke) of the invitation",
          _invitation_resend, {200, 409}, {204, 409}),
    _case(("member-detail", "PATCH"), "DELETE of the member", _member_patch,
          {200, 404}, {204}),
    _case(("member-detail", "DELETE"), "DELETE of the member", _member_delete,
          {204, 404}, {204, 404}),
    _case(("api-key-list", "POST"),
          "a demotion of its creator below admin (keys are never deleted)", _api_key_create,
          {201, 403}, {200}),
    _case(("api-key-detail", "DELETE"),
          "DELETE of the key (keys are revoked, never deleted: DELETE is the revoke)",
          _api_key_revoke, {204, 409}, {204, 409}),
    _case(("customer-list", "POST"),
          "the same POST (creates; nothing to delete: the same email twice)", _customer_create,
          {201, 400}, {201, 400}),
    _case(("customer-detail", "PATCH"), "DELETE of the customer", _customer_patch,
          {200, 404}, {204}),
    _case(("customer-detail", "DELETE"), "DELETE of the customer", _customer_delete,
          {204, 404}, {204, 404}),
    _case(("customer-erase", "POST"), "DELETE of the customer", _customer_erase_vs_delete,
          {200, 404}, {204}),
    _case(("customer-erase", "POST"), "a ticket create for the customer (item 5)",
          _customer_erase_vs_ticket_create, {200}, {201, 409}),
    _case(("ticket-list", "POST"), "DELETE of its requester", _ticket_create,
          {201, 400}, {204, 409}),
    _case(("ticket-detail", "PATCH"), "DELETE of the ticket", _ticket_patch,
          {200, 404}, {204}),
    _case(("ticket-detail", "PATCH"), "an erase of its requester",
          lambda h: _ticket_write_vs_erase(h, "patch"), {200}, {200}),
    _case(("ticket-assign", "POST"), "an erase of its requester",
          lambda h: _ticket_write_vs_erase(h, "assign"), {200}, {200}),
    _case(("ticket-comments", "POST"), "an erase of its requester",
          lambda h: _ticket_write_vs_erase(h, "comment"), {201}, {200}),
    _case(("ticket-merge", "POST"), "an erase of its requester",
          lambda h: _ticket_write_vs_erase(h, "merge"), {200}, {200}),
    _case(("ticket-bulk", "POST"), "an erase of the requester of a ticket it changes",
          lambda h: _ticket_write_vs_erase(h, "bulk"), {200}, {200}),
    _case(("ticket-attachment-list", "POST"), "an erase of the ticket's requester",
          lambda h: _ticket_write_vs_erase(h, "upload"), {201}, {200}),
    _case(("ticket-detail", "DELETE"), "DELETE of the ticket", _ticket_delete,
          {204, 404}, {204, 404}),
    _case(("ticket-assign", "POST"), "DELETE of the ticket", _ticket_assign,
          {200, 404}, {204}),
    _case(("ticket-comments", "POST"), "DELETE of the ticket", _ticket_comment,
          {201, 404}, {204}),
    _case(("ticket-merge", "POST"), "DELETE of the source", lambda h: _merge(h, "source"),
          {200, 404}, {204}),
    _case(("ticket-merge", "POST"), "DELETE of the target", lambda h: _merge(h, "target"),
          {200, 404}, {204}),
    _case(("ticket-merge", "POST"), "the same merge", lambda h: _merge(h, "same merge"),
          {200, 409}, {200, 409}),
    _case(("ticket-bulk", "POST"), "DELETE of one of its tickets", _bulk,
          {200, 400}, {204}),
    _case(("ticket-attachment-list", "POST"), "DELETE of the ticket", _upload,
          {201, 404}, {204}),
    _case(("ticket-attachment-detail", "DELETE"), "DELETE of the attachment",
          lambda h: _attachment_delete(h, "attachment"), {204, 404}, {204, 404}),
    _case(("ticket-attachment-detail", "DELETE"), "DELETE of the ticket",
          lambda h: _attachment_delete(h, "ticket"), {204, 404}, {204}),
    _case(("export-list", "POST"),
          "an erase of a customer it exports (export jobs are records, never deleted)",
          _export_vs_erase, {202}, {200}),
]  # fmt: skip


def test_every_tenant_write_route_has_a_race_case():
    writes = {route for route in tenant_routes() if route[1] in WRITE_METHODS}

    assert {case.route for case in HARNESS} == writes


def _media_root() -> str:
    return settings.MEDIA_ROOT


def _stored_files(prefix: str) -> set[str]:
    root = os.path.join(_media_root(), prefix)
    return {
        os.path.relpath(os.path.join(folder, name), _media_root())
        for folder, _, names in os.walk(root)
        for name in names
    }


def assert_invariants(tenant: Tenant) -> None:
    """What must hold after any interleaving of writes, whatever their answers."""
    with tenant_context(tenant):
        tickets = Ticket.objects.values("pk")
        for model in (Comment, TicketEvent, Attachment):
            assert not model.objects.exclude(ticket__in=tickets).exists(), f"orphan {model}"
        customers = Customer.objects.values("pk")
        assert not Ticket.objects.exclude(requester__in=customers).exists(), "orphan ticket"
        # Files follow their rows both ways: no row without its bytes, no bytes without a row.
        keys = set(
            Attachment.objects.exclude(storage_key__contains="/erased/").values_list(
                "storage_key", flat=True
            )
        )
        assert _stored_files(f"tenants/{tenant.pk}/attachments") == keys
        # An erased customer keeps no data anywhere.
        for erased in Customer.objects.filter(erased_at__isnull=False):
            tickets = Ticket.objects.filter(requester=erased).exclude(subject=ERASED)
            comments = Comment.objects.filter(author_customer=erased).exclude(body=ERASED)
            assert not tickets.exists() and not comments.exists(), f"data of erased {erased}"
            assert (erased.name, erased.metadata) == ("", {})


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
@pytest.mark.parametrize("case", [pytest.param(c, id=c.case_id) for c in HARNESS])
def test_write_route_racing_its_delete(case, tenant, member, api_client):
    harness = Harness(tenant=tenant, member=member, api_client=api_client)
    for _ in range(case.rounds):
        calls = case.build(harness)

        write, competitor = race(calls.write, calls.competitor)

        outcome = (status(write), status(competitor))
        assert outcome[0] in case.allowed, (case.route, case.races, outcome, write)
        assert outcome[1] in case.competitor_allowed, (case.route, case.races, outcome)
        calls.check(*outcome)
        assert_invariants(tenant)
