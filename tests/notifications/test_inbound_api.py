"""The raw-MIME endpoint (POST t/<slug>/inbound-email/): only the tenant's inbound secret opens
it, the tenant is the URL's whatever the message says, bad input is a 4xx that writes nothing;
and the secret's management route (t/<slug>/inbound-email/secret/)."""

import pytest

from notifications.models import InboundSecret
from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import Role
from tenants.services import tenant_delete
from tenants.tokens import secret_digest
from tests.notifications.inbound_helpers import (
    email,
    inbound_rows,
    post_email,
    secret_for,
    tickets_of,
    written,
)
from tests.tenants.helpers import audit_rows
from tests.tickets.helpers import make_ticket

pytestmark = pytest.mark.django_db

NOTHING = {"inbound": 0, "tickets": 0, "comments": 0, "customers": 0, "attachments": 0}


def test_a_new_email_opens_a_ticket_and_answers_202_with_its_number(tenant):
    secret = secret_for(tenant)

    response = post_email(tenant, email(), secret=secret)

    assert response.status_code == 202, response.content
    [ticket] = tickets_of(tenant)
    assert response.json() == {
        "result": "created",
        "ticket": ticket.number,
        "follow_up_of": None,
        "reason": "",
        "attachments_kept": 0,
        "attachments_refused": 0,
    }
    assert (ticket.channel, ticket.subject) == ("email", "Printer on fire")
    assert ticket.requester.email == "ann@example.test"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Inbound-Secret",
        "Inbound-Secret wrong-secret",
        "Inbound-Secret tdi_" + "x" * 300,
        "Inbound-Secret tdi_\x01control",
        "Bearer whatever",
        "Basic YTpi",
    ],
    ids=["missing", "empty", "wrong", "too-long", "control-bytes", "bearer", "basic"],
)
def test_a_missing_or_wrong_secret_is_401_and_writes_nothing(tenant, anon_client, authorization):
    secret_for(tenant)
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}

    response = anon_client.generic(
        "POST", f"/api/v1/t/{tenant.slug}/inbound-email/", email(), "message/rfc822", **headers
    )

    assert response.status_code == 401
    assert set(response.json()) == {"detail", "code"}
    assert response["WWW-Authenticate"] == 'Inbound-Secret realm="inbound-email"'
    assert written(tenant) == NOTHING


def test_a_tenant_without_a_secret_takes_no_email(tenant):
    response = post_email(tenant, email(), secret="tdi_guessed")

    assert response.status_code == 401
    assert written(tenant) == NOTHING


def test_another_tenants_secret_is_401_in_both_tenants(tenant, other_tenant):
    secret_for(tenant)
    theirs = secret_for(other_tenant)

    response = post_email(tenant, email(), secret=theirs)

    assert response.status_code == 401
    assert (written(tenant), written(other_tenant)) == (NOTHING, NOTHING)


def test_a_members_token_is_no_inbound_secret(tenant, member, api_client):
    secret_for(tenant)

    response = post_email(tenant, email(), secret=None, client=api_client(member(Role.OWNER)))

    assert response.status_code == 401
    assert written(tenant) == NOTHING


def test_the_tenant_is_the_urls_whatever_the_message_names(tenant, other_tenant):
    secret = secret_for(tenant)
    theirs = make_ticket(other_tenant, customer_email="ann@example.test", subject="Theirs")
    raw = email(
        to="support+bravo@tenantdesk.local",
        subject=f"Re: [#{theirs.number}] Theirs",
        headers={
            "Delivered-To": "support+bravo@tenantdesk.local",
            "X-Original-To": "support+bravo@tenantdesk.local",
            "In-Reply-To": f"<ticket-{theirs.public_id}@tenantdesk.local>",
        },
    )
    before = written(other_tenant)

    response = post_email(tenant, raw, secret=secret)

    assert response.status_code == 202, response.content
    assert response.json()["result"] == "created"  # bravo's ticket is invisible from alpha
    [ticket] = tickets_of(tenant)
    assert ticket.subject == f"Re: [#{theirs.number}] Theirs"
    assert written(other_tenant) == before


def test_an_unknown_or_deactivated_tenant_is_the_standard_404(tenant):
    secret = secret_for(tenant)
    tenant_delete(tenant=tenant, actor=Actor())

    gone = post_email(tenant, email(), secret=secret)
    unknown = post_email("no-such-tenant", email(), secret=secret)

    assert (gone.status_code, unknown.status_code) == (404, 404)
    assert gone.json() == unknown.json() == {"detail": "Not found.", "code": "not_found"}


# --- Bad input: 4xx, never 500, nothing written -------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"", "message"),
        (b"   \r\n  ", "message"),
        (b"just some words, no header at all", "message"),
        (b"\x00\xff\xfe\x80binary", "message"),
        (b'{"from": "ann@example.test", "subject": "json"}', "from"),
        (email(sender=None), "from"),
        (email(sender="not an address"), "from"),
        (email(sender="Ann <ann@example.test>, Bob <bob@example.test>"), "from"),
        (email(sender="undisclosed-recipients:;"), "from"),
        (b"From: ann@example.test\nFrom: eve@example.test\nSubject: x\n\nbody", "from"),
    ],
    ids=[
        "empty",
        "blank",
        "no-headers",
        "binary",
        "json",
        "no-from",
        "bad-from",
        "two-addresses",
        "group-only",
        "two-from-headers",
    ],
)
def test_malformed_mime_is_400_with_field_errors_and_writes_nothing(tenant, raw, field):
    secret = secret_for(tenant)

    response = post_email(tenant, raw, secret=secret)

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == [field]
    assert written(tenant) == NOTHING


def test_a_body_that_is_not_message_rfc822_is_415(tenant, anon_client):
    secret = secret_for(tenant)

    response = anon_client.post(
        f"/api/v1/t/{tenant.slug}/inbound-email/",
        {"raw": "From: ann@example.test"},
        format="json",
        HTTP_AUTHORIZATION=f"Inbound-Secret {secret}",
    )

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert written(tenant) == NOTHING


def test_an_email_over_the_size_cap_is_413(tenant, settings):
    secret = secret_for(tenant)
    settings.INBOUND_EMAIL_MAX_BYTES = 2000

    small = post_email(tenant, email(text="short"), secret=secret)
    large = post_email(tenant, email(text="x" * 3000), secret=secret)

    assert small.status_code == 202
    assert large.status_code == 413
    assert large.json()["code"] == "request_too_large"
    assert len(tickets_of(tenant)) == 1


def test_an_email_larger_than_json_bodies_may_be_is_taken(tenant, settings):
    secret = secret_for(tenant)
    settings.API_MAX_BODY_BYTES = 1000

    response = post_email(tenant, email(text="y" * 5000), secret=secret)

    assert response.status_code == 202, response.content


# --- The secret ------------------------------------------------------------------------------


def _secret_url(tenant):
    return f"/api/v1/t/{tenant.slug}/inbound-email/secret/"


def test_an_admin_creates_the_secret_which_is_shown_once_and_kept_as_a_digest(
    tenant, member, api_client
):
    client = api_client(member(Role.ADMIN))

    before = client.get(_secret_url(tenant))
    created = client.post(_secret_url(tenant), {}, format="json")
    after = client.get(_secret_url(tenant))

    assert before.json() == {
        "configured": False,
        "created_at": None,
        "address": "support+alpha@tenantdesk.local",
        "endpoint": "http://testserver/api/v1/t/alpha/inbound-email/",
    }
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("tdi_") and len(secret) > 40
    assert after.json()["configured"] is True
    assert "secret" not in after.json() and secret not in after.content.decode()
    with tenant_context(tenant):
        [row] = InboundSecret.objects.all()
    assert row.secret_hash == secret_digest(secret)
    assert post_email(tenant, email(), secret=secret).status_code == 202


def test_rotating_the_secret_retires_the_old_one_and_is_audited(tenant, member, api_client):
    client = api_client(member(Role.ADMIN))
    old = client.post(_secret_url(tenant), {}, format="json").json()["secret"]

    new = client.post(_secret_url(tenant), {}, format="json").json()["secret"]

    assert new != old
    assert post_email(tenant, email(), secret=old).status_code == 401
    assert post_email(tenant, email(), secret=new).status_code == 202
    created = audit_rows(tenant, "inbound_secret.created")
    rotated = audit_rows(tenant, "inbound_secret.rotated")
    assert (len(created), len(rotated)) == (1, 1)
    assert old not in str(created) + str(rotated) and new not in str(created) + str(rotated)


def test_an_idempotent_replay_of_the_rotation_does_not_show_the_secret_again(
    tenant, member, api_client
):
    client = api_client(member(Role.ADMIN))
    headers = {"HTTP_IDEMPOTENCY_KEY": "rotate-1"}

    first = client.post(_secret_url(tenant), {}, format="json", **headers)
    replay = client.post(_secret_url(tenant), {}, format="json", **headers)

    assert first.json()["secret"]
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json()["secret"] is None


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT, Role.VIEWER])
def test_below_admin_nobody_sees_or_rotates_the_secret(tenant, member, api_client, role):
    client = api_client(member(role))

    read = client.get(_secret_url(tenant))
    rotate = client.post(_secret_url(tenant), {}, format="json")

    assert (read.status_code, rotate.status_code) == (403, 403)
    with tenant_context(tenant):
        assert not InboundSecret.objects.exists()


def test_rotation_takes_no_input(tenant, member, api_client):
    client = api_client(member(Role.ADMIN))

    response = client.post(_secret_url(tenant), {"secret": "mine"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"secret": ["Unknown field."]}
    assert inbound_rows(tenant) == []
