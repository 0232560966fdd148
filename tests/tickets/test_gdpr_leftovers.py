"""Personal data that hides outside the customer row: stored responses, file-name history,
audit labels; and no new data for an erased customer."""

import json

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile

from tenants.context import tenant_context
from tenants.models import AuditLogEntry, IdempotencyRecord, Role
from tests.conftest import PASSWORD
from tickets.models import Attachment, Customer, TicketEvent

PII = ("alice@example.test", "Alice Liddell", "Alice's printer", "alice-passport.txt")


@pytest.fixture
def admin_client(member, api_client):
    return api_client(member(Role.ADMIN))


@pytest.fixture
def alice(admin_client, tenant, settings, tmp_path):
    """Alice's data created the way clients create it: through the API, with keys."""
    settings.MEDIA_ROOT = str(tmp_path)
    base = f"/api/v1/t/{tenant.slug}"
    customer = admin_client.post(
        f"{base}/customers/",
        {"email": "alice@example.test", "name": "Alice Liddell"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="create-alice",
    ).json()
    ticket = admin_client.post(
        f"{base}/tickets/",
        {"subject": "Alice's printer", "requester": customer["id"]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="alice-ticket",
    ).json()
    upload = admin_client.post(
        f"{base}/tickets/{ticket['number']}/attachments/",
        {"file": SimpleUploadedFile("alice-passport.txt", b"passport", "text/plain")},
        format="multipart",
    ).json()
    with tenant_context(tenant):
        Attachment.objects.filter(public_id=upload["id"]).update(from_customer=True)
    return {"customer": customer, "ticket": ticket, "base": base}


def _erase(client, alice):
    return client.post(f"{alice['base']}/customers/{alice['customer']['id']}/erase/")


def test_erase_drops_stored_responses_that_would_replay_the_customer(admin_client, alice, tenant):
    response = _erase(admin_client, alice)
    with tenant_context(tenant):
        stored = json.dumps(list(IdempotencyRecord.objects.values("response_body")))
    # The client retries its old create: it is a new request now, not a replay of Alice.
    replay = admin_client.post(
        f"{alice['base']}/customers/",
        {"email": "alice@example.test", "name": "Alice Liddell"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="create-alice",
    )

    assert response.status_code == 200
    assert "Idempotent-Replayed" not in replay  # a fresh request, not the erased response
    assert not any(pii in stored for pii in PII[:3])


def test_erase_scrubs_file_names_from_the_history(admin_client, alice, tenant):
    _erase(admin_client, alice)
    with tenant_context(tenant):
        history = json.dumps(
            list(TicketEvent.objects.values("old_value", "new_value")), default=str
        )

    assert "alice-passport.txt" not in history


def test_files_the_team_uploaded_survive_the_erase(admin_client, alice, tenant):
    url = f"{alice['base']}/tickets/{alice['ticket']['number']}/attachments/"
    team_file = admin_client.post(
        url,
        {"file": SimpleUploadedFile("runbook.txt", b"steps", "text/plain")},
        format="multipart",
    ).json()

    _erase(admin_client, alice)
    with tenant_context(tenant):
        kept = Attachment.objects.get(public_id=team_file["id"])

    assert kept.filename == "runbook.txt"


def test_the_append_only_audit_log_holds_no_ticket_subjects(admin_client, alice, tenant):
    number = alice["ticket"]["number"]
    admin_client.delete(f"{alice['base']}/tickets/{number}/")
    with tenant_context(tenant):
        labels = list(AuditLogEntry.objects.values_list("target_label", flat=True))

    assert f"#{number}" in labels
    assert "Alice's printer" not in labels


def test_no_new_ticket_or_comment_for_an_erased_customer(admin_client, alice, tenant):
    _erase(admin_client, alice)

    ticket = admin_client.post(
        f"{alice['base']}/tickets/",
        {"subject": "More PII", "requester": alice["customer"]["id"]},
        format="json",
    )

    assert ticket.status_code == 409
    assert ticket.json()["code"] == "customer_erased"


def test_the_admin_change_log_records_no_personal_data(alice, tenant, client, member):
    # django_admin_log is global and outside erasure's reach: str() of a row must hold no PII.
    supervisor = member(Role.SUPERVISOR)
    client.post("/admin/login/", {"username": supervisor.user.email, "password": PASSWORD})
    with tenant_context(tenant):
        customer = Customer.objects.get(public_id=alice["customer"]["id"])
    url = f"/admin/tickets/customer/{customer.public_id}/change/"
    page = client.get(url)
    form = page.context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in ("email", "name", "tier")}
    data.update(name="Alice L.", company="", phone="", crm_id="")

    client.post(url, data)
    reprs = list(LogEntry.objects.values_list("object_repr", flat=True))

    assert reprs  # the change was logged
    assert not any(pii in r for r in reprs for pii in ("alice@example.test", "Alice"))


def test_erase_finds_history_a_merge_moved_onto_another_customers_ticket(
    admin_client, alice, tenant
):
    base = alice["base"]
    bob_ticket = admin_client.post(
        f"{base}/tickets/",
        {"subject": "Bob's", "customer_email": "bob@example.test"},
        format="json",
    ).json()
    number = alice["ticket"]["number"]
    admin_client.patch(
        f"{base}/tickets/{number}/", {"subject": "Alice Liddell at 1 Rabbit Hole"}, format="json"
    )
    merged = admin_client.post(
        f"{base}/tickets/{number}/merge/", {"into": bob_ticket["number"]}, format="json"
    )

    _erase(admin_client, alice)
    with tenant_context(tenant):
        on_bobs_ticket = json.dumps(
            list(
                TicketEvent.objects.filter(ticket__number=bob_ticket["number"]).values(
                    "old_value", "new_value"
                )
            )
        )

    assert merged.status_code == 200
    assert "Rabbit Hole" not in on_bobs_ticket
    assert "Alice's printer" not in on_bobs_ticket
    assert "alice-passport.txt" not in on_bobs_ticket
