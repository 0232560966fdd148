"""What the GDPR export and erase tests share: the Alice fixture's data, the URLs and calls,
and snapshots of what an erase may touch."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from tenants.context import tenant_context
from tickets.models import Attachment, Comment, Customer, Ticket, TicketEvent

ALICE_PII = (
    "alice@example.test",
    "Alice Liddell",
    "Wonderland Ltd",
    "+44 20 7946 0000",
    "crm-alice-1",
    "alice-secret-meta",
    "Alice subject",
    "Alice description",
    "Alice writes",
    "alice-passport.pdf",
)


def _stored(key: str, content: bytes) -> str:
    return default_storage.save(key, ContentFile(content))


def _url(tenant, customer_id, op: str) -> str:
    return f"/api/v1/t/{tenant.slug}/customers/{customer_id}/{op}/"


def _erase(client, tenant, customer, body=None):
    return client.post(_url(tenant, customer.public_id, "erase"), body or {}, format="json")


def _snapshot(tenant) -> dict:
    with tenant_context(tenant):
        return {
            "customers": sorted(
                Customer.objects.values_list(
                    "email", "name", "company", "phone", "crm_id", "metadata", "version"
                )
            ),
            "tickets": sorted(
                Ticket.objects.values_list("number", "subject", "description", "version")
            ),
            "comments": sorted(Comment.objects.values_list("body", flat=True)),
            "attachments": sorted(Attachment.objects.values_list("filename", "storage_key")),
            "events": TicketEvent.objects.count(),
        }
