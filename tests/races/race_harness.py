"""The race harness of test_write_routes.py: a round (Race), a table row (Case), the tenant
with its clients and fresh objects per round (Harness), the checks rows share, and the
invariants checked after every round (assert_invariants)."""

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.conf import settings
from django.core.files.base import ContentFile

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role, Tenant
from tickets import services
from tickets.models import Attachment, Comment, Customer, Ticket, TicketEvent
from tickets.services.gdpr import ERASED

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
