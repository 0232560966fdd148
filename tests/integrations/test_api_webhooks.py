"""webhooks/ and webhook-deliveries/ through the API: shapes and defaults, refusals that store
nothing, the secret shown once (never in GET, idempotency records or the audit log), optimistic
concurrency, rotation, ping, the delivery log and redelivery."""

import json
import sys
import types
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from integrations.models import WebhookDelivery, WebhookEndpoint
from tenants import events
from tenants.context import tenant_context
from tenants.models import AuditLogEntry, IdempotencyRecord, Role
from tests.errors import field_errors
from tests.integrations.conftest import REAL_URL_CHECK
from tests.integrations.recipes import (
    webhook_attempt_recipe,
    webhook_delivery_recipe,
    webhook_endpoint_recipe,
)

pytestmark = pytest.mark.django_db

SEND_TASK = "integrations.tasks.webhook_delivery_send_task"


@pytest.fixture
def admin(member, api_client):
    return api_client(member(Role.ADMIN))


def _url(tenant, rest=""):
    return f"/api/v1/t/{tenant.slug}/{rest}"


def _create(client, tenant, **overrides):
    body = {"url": "https://hooks.example.com/in", "events": ["ticket.created"], **overrides}
    return client.post(_url(tenant, "webhooks/"), body, format="json")


def _endpoint(tenant, public_id) -> WebhookEndpoint:
    with tenant_context(tenant):
        return WebhookEndpoint.objects.get(public_id=public_id)


def _count(tenant, model) -> int:
    with tenant_context(tenant):
        return model.objects.count()


def _audit(tenant, action=None):
    with tenant_context(tenant):
        entries = AuditLogEntry.objects.filter(target_type__startswith="webhook")
        if action:
            entries = entries.filter(action=action)
        return list(entries.order_by("id").values("action", "target_label", "before", "after"))


# --- Create -----------------------------------------------------------------------------------


def test_create_answers_201_with_the_secret_once_and_defaults(tenant, admin):
    response = _create(admin, tenant, description="CRM")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert body["url"] == "https://hooks.example.com/in"
    assert body["events"] == ["ticket.created"]
    assert (body["active"], body["include_internal"], body["description"]) == (True, False, "CRM")
    assert (body["disabled_reason"], body["disabled_at"], body["failing_since"]) == ("", None, None)
    assert body["secret_rotation_ends_at"] is None
    assert body["version"] == 1
    assert response["ETag"] == '"1"'
    assert response["Location"].endswith(f"/webhooks/{body['id']}/")
    assert _endpoint(tenant, body["id"]).secret == body["secret"]


def test_get_never_shows_the_secret(tenant, admin):
    created = _create(admin, tenant).json()

    detail = admin.get(_url(tenant, f"webhooks/{created['id']}/"))
    listed = admin.get(_url(tenant, "webhooks/"))

    assert detail.status_code == listed.status_code == 200
    assert detail["ETag"] == '"1"'
    assert "secret" not in detail.json()
    assert [set(row) for row in listed.json()["results"]] == [set(detail.json())]
    assert created["secret"] not in detail.content.decode() + listed.content.decode()


def test_the_secret_is_stored_encrypted(tenant, admin):
    created = _create(admin, tenant).json()

    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM integrations_webhookendpoint")
        [(stored,)] = cursor.fetchall()

    assert created["secret"] not in stored


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        pytest.param({"url": "not a url"}, "url", "Enter a valid URL.", id="url-shape"),
        pytest.param(
            {"url": "https://localhost/x"},
            "url",
            "This destination is not allowed.",
            id="url-guard",
        ),
        pytest.param(
            {"url": "http://hooks.example.com/x"},
            "url",
            "This destination is not allowed.",
            id="url-plain-http",
        ),
        pytest.param(
            {"events": []},
            "events",
            "Ensure this field has at least 1 elements.",
            id="no-event-types",
        ),
        pytest.param(
            {"events": ["ticket.created", "ticket.exploded", "nope"]},
            "events",
            "Unknown event types: 'ticket.exploded', 'nope' (GET event-types/ lists them).",
            id="unknown-event-types",
        ),
        pytest.param(
            {"events": ["*", "ticket.created"]},
            "events",
            '"*" (every event) stands alone.',
            id="star-with-others",
        ),
        pytest.param(
            {"events": ["webhook.ping"]},
            "events",
            "Unknown event types: 'webhook.ping' (GET event-types/ lists them).",
            id="ping-is-no-event-type",
        ),
        pytest.param({"active": "maybe"}, "active", "Must be a valid boolean.", id="active"),
        pytest.param({"secret": "whsec_mine"}, "secret", "Unknown field.", id="secret-is-no-input"),
    ],
)
def test_create_refuses_bad_input_and_stores_nothing(tenant, admin, overrides, field, message):
    response = _create(admin, tenant, **overrides)

    assert field_errors(response) == {field: [message]}
    assert _count(tenant, WebhookEndpoint) == 0
    assert _audit(tenant) == []


def test_every_registered_event_type_and_the_star_are_accepted(tenant, admin):
    names = [described["type"] for described in events.event_types()]

    every = _create(admin, tenant, events=names)
    star = _create(admin, tenant, events=["*"])
    twice = _create(admin, tenant, events=["ticket.created", "ticket.created"])

    assert (every.status_code, star.status_code, twice.status_code) == (201, 201, 201)
    assert every.json()["events"] == names
    assert twice.json()["events"] == ["ticket.created"]
    assert "webhook.ping" not in names


def test_the_service_checks_the_url_too(tenant, admin, url_check):
    _create(admin, tenant, url="https://hooks.example.com/a")

    assert url_check.seen == ["https://hooks.example.com/a"]


def test_url_check_is_the_outbound_guard_without_dns_when_settings_say_so(settings, monkeypatch):
    asked = []
    guard = types.ModuleType("integrations.http")
    guard.url_check = lambda url, *, resolve=True: asked.append((url, resolve)) or url
    monkeypatch.setitem(sys.modules, "integrations.http", guard)

    settings.OUTBOUND_RESOLVE_ON_SAVE = False
    REAL_URL_CHECK("https://hooks.example.com/a")
    settings.OUTBOUND_RESOLVE_ON_SAVE = True
    REAL_URL_CHECK("https://hooks.example.com/b")

    assert asked == [("https://hooks.example.com/a", False), ("https://hooks.example.com/b", True)]


def test_an_idempotent_replay_never_holds_the_secret(tenant, admin):
    headers = {"HTTP_IDEMPOTENCY_KEY": "create-hook-1"}
    body = {"url": "https://hooks.example.com/in", "events": ["*"]}

    first = admin.post(_url(tenant, "webhooks/"), body, format="json", **headers)
    replay = admin.post(_url(tenant, "webhooks/"), body, format="json", **headers)

    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay["Idempotent-Replayed"] == "true"
    assert replay["Idempotent-Redacted"] == "secret"
    assert replay.json()["secret"] is None
    assert replay.json()["id"] == first.json()["id"]
    with tenant_context(tenant):
        stored = json.dumps(list(IdempotencyRecord.objects.values("response_body")))
    assert first.json()["secret"] not in stored
    assert _count(tenant, WebhookEndpoint) == 1


# --- Change and delete ------------------------------------------------------------------------


def test_patch_with_a_stale_if_match_is_412_and_changes_nothing(tenant, admin):
    created = _create(admin, tenant).json()
    url = _url(tenant, f"webhooks/{created['id']}/")
    admin.patch(url, {"description": "first"}, format="json", HTTP_IF_MATCH='"1"')

    stale = admin.patch(url, {"description": "second"}, format="json", HTTP_IF_MATCH='"1"')

    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    endpoint = _endpoint(tenant, created["id"])
    assert (endpoint.description, endpoint.version) == ("first", 2)


def test_patch_changes_what_it_names_and_checks_a_new_url(tenant, admin, url_check):
    created = _create(admin, tenant).json()
    url = _url(tenant, f"webhooks/{created['id']}/")

    changed = admin.patch(
        url,
        {"url": "https://other.example.com/hook", "events": ["*"], "include_internal": True},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    refused = admin.patch(url, {"url": "https://127.0.0.1/x"}, format="json")

    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert (body["url"], body["events"], body["include_internal"]) == (
        "https://other.example.com/hook",
        ["*"],
        True,
    )
    assert (body["version"], changed["ETag"]) == (2, '"2"')
    assert "secret" not in body
    assert field_errors(refused) == {"url": ["This destination is not allowed."]}
    assert url_check.seen[-2:] == ["https://other.example.com/hook", "https://127.0.0.1/x"]
    assert _endpoint(tenant, created["id"]).url == "https://other.example.com/hook"


def test_reactivating_a_disabled_endpoint_clears_why_and_since_when(tenant, admin):
    created = _create(admin, tenant).json()
    now = timezone.now()
    with tenant_context(tenant):
        WebhookEndpoint.objects.filter(public_id=created["id"]).update(
            active=False, disabled_reason="gone", disabled_at=now, failing_since=now
        )

    response = admin.patch(
        _url(tenant, f"webhooks/{created['id']}/"), {"active": True}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["active"], body["disabled_reason"], body["disabled_at"]) == (True, "", None)
    assert body["failing_since"] is None


def test_delete_removes_the_endpoint_with_its_deliveries(tenant, admin):
    created = _create(admin, tenant).json()
    endpoint = _endpoint(tenant, created["id"])
    with tenant_context(tenant):
        delivery = webhook_delivery_recipe.make(tenant=tenant, endpoint=endpoint)
        webhook_attempt_recipe.make(tenant=tenant, delivery=delivery, number=1)
    url = _url(tenant, f"webhooks/{created['id']}/")

    stale = admin.delete(url, HTTP_IF_MATCH='"7"')
    deleted = admin.delete(url, HTTP_IF_MATCH='"1"')
    again = admin.get(url)

    assert (stale.status_code, deleted.status_code, again.status_code) == (412, 204, 404)
    assert _count(tenant, WebhookEndpoint) == _count(tenant, WebhookDelivery) == 0


def test_every_write_is_audited_without_the_secret_or_the_url_path(tenant, admin):
    created = _create(admin, tenant, url="https://hooks.example.com/T0/B0/tok3n?key=s3cret").json()
    url = _url(tenant, f"webhooks/{created['id']}/")
    admin.patch(url, {"url": "https://hooks.example.com/T0/B0/n3w", "active": False}, format="json")
    rotated = admin.post(f"{url}rotate-secret/").json()
    admin.delete(url)

    entries = _audit(tenant)

    assert [e["action"] for e in entries] == [
        "webhook.created",
        "webhook.updated",
        "webhook.secret_rotated",
        "webhook.deleted",
    ]
    assert {e["target_label"] for e in entries} == {"https://hooks.example.com"}
    assert entries[1]["before"] == {"url": "https://hooks.example.com", "active": True}
    assert entries[1]["after"] == {
        "url": "https://hooks.example.com",
        "active": False,
        "url_changed": True,
    }
    written = json.dumps(entries)
    for secret_or_token in (created["secret"], rotated["secret"], "tok3n", "s3cret", "n3w"):
        assert secret_or_token not in written


# --- Rotate -----------------------------------------------------------------------------------


def test_rotation_shows_the_new_secret_once_and_keeps_the_old_one_valid_a_day(tenant, admin):
    created = _create(admin, tenant).json()
    url = _url(tenant, f"webhooks/{created['id']}/")
    before = timezone.now()

    rotated = admin.post(f"{url}rotate-secret/")
    shown = admin.get(url)

    assert rotated.status_code == 200, rotated.content
    body = rotated.json()
    assert body["secret"].startswith("whsec_") and body["secret"] != created["secret"]
    assert (body["version"], rotated["ETag"]) == (2, '"2"')
    endpoint = _endpoint(tenant, created["id"])
    assert (endpoint.secret, endpoint.previous_secret) == (body["secret"], created["secret"])
    expires = endpoint.previous_secret_expires_at
    assert before + timedelta(hours=24) <= expires <= timezone.now() + timedelta(hours=24)
    assert shown.json()["secret_rotation_ends_at"] == expires.isoformat().replace("+00:00", "Z")
    assert "secret" not in shown.json()
    assert created["secret"] not in shown.content.decode()
    assert body["secret"] not in shown.content.decode()


def test_a_rotation_window_that_ended_is_not_shown(tenant, admin):
    created = _create(admin, tenant).json()
    admin.post(_url(tenant, f"webhooks/{created['id']}/rotate-secret/"))
    with tenant_context(tenant):
        WebhookEndpoint.objects.filter(public_id=created["id"]).update(
            previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
        )

    shown = admin.get(_url(tenant, f"webhooks/{created['id']}/"))

    assert shown.json()["secret_rotation_ends_at"] is None


def test_rotation_takes_no_input_and_its_replay_holds_no_secret(tenant, admin):
    created = _create(admin, tenant).json()
    url = _url(tenant, f"webhooks/{created['id']}/rotate-secret/")

    refused = admin.post(url, {"secret": "whsec_mine"}, format="json")
    first = admin.post(url, HTTP_IDEMPOTENCY_KEY="rotate-1")
    replay = admin.post(url, HTTP_IDEMPOTENCY_KEY="rotate-1")

    assert field_errors(refused) == {"secret": ["Unknown field."]}
    assert replay.json()["secret"] is None
    assert replay["Idempotent-Redacted"] == "secret"
    assert _endpoint(tenant, created["id"]).secret == first.json()["secret"]
    with tenant_context(tenant):
        stored = json.dumps(list(IdempotencyRecord.objects.values("response_body")))
    assert first.json()["secret"] not in stored


# --- Ping -------------------------------------------------------------------------------------


def test_ping_queues_one_signed_delivery_to_that_endpoint_only(
    tenant, admin, django_capture_on_commit_callbacks
):
    created = _create(admin, tenant, events=["*"]).json()
    _create(admin, tenant, events=["*"], url="https://hooks.example.com/other")

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin.post(_url(tenant, f"webhooks/{created['id']}/ping/"))

    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["event_type"], body["status"], body["endpoint"]) == (
        "webhook.ping",
        "pending",
        created["id"],
    )
    assert body["attempt_log"] == []
    payload = body["payload"]
    assert set(payload) == {"type", "timestamp", "data"}
    assert payload["type"] == "webhook.ping"
    assert payload["data"]["endpoint"] == created["id"]
    assert payload["data"]["event"]["id"] == body["event_id"]
    assert payload["data"]["event"]["tenant"] == tenant.slug
    with tenant_context(tenant):
        deliveries = list(WebhookDelivery.objects.values_list("endpoint__public_id", "event_type"))
    assert [(str(e), t) for e, t in deliveries] == [(created["id"], "webhook.ping")]
    assert len(callbacks) == 1  # the send task, after the commit


def test_ping_of_a_switched_off_endpoint_is_409(tenant, admin):
    created = _create(admin, tenant, active=False).json()

    response = admin.post(_url(tenant, f"webhooks/{created['id']}/ping/"))

    assert response.status_code == 409
    assert response.json()["code"] == "webhook_inactive"
    assert _count(tenant, WebhookDelivery) == 0


def test_webhook_ping_is_no_registered_event():
    with pytest.raises(ValueError, match="unknown event"):
        events.event_class("webhook.ping")


# --- Delivery log -----------------------------------------------------------------------------


def _deliveries(tenant, endpoint, count, **fields):
    with tenant_context(tenant):
        made = []
        for index in range(count):
            delivery = webhook_delivery_recipe.make(
                tenant=tenant,
                endpoint=endpoint,
                created_at=timezone.now() - timedelta(minutes=count - index),
                **fields,
            )
            for number in (1, 2):
                webhook_attempt_recipe.make(
                    tenant=tenant, delivery=delivery, number=number, status_code=500 + number
                )
            made.append(delivery)
        return made


def test_deliveries_list_newest_first_with_their_attempts(tenant, admin):
    created = _create(admin, tenant).json()
    endpoint = _endpoint(tenant, created["id"])
    older, newer = _deliveries(tenant, endpoint, 2, status="dead", attempts=2)
    with tenant_context(tenant):
        other = webhook_endpoint_recipe.make(tenant=tenant)
        elsewhere = webhook_delivery_recipe.make(tenant=tenant, endpoint=other)

    response = admin.get(_url(tenant, f"webhooks/{created['id']}/deliveries/"))

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [str(newer.public_id), str(older.public_id)]
    assert str(elsewhere.public_id) not in response.content.decode()
    attempts = rows[0]["attempt_log"]
    assert [(a["number"], a["status_code"]) for a in attempts] == [(1, 501), (2, 502)]
    assert set(attempts[0]) == {
        "number",
        "attempted_at",
        "status_code",
        "latency_ms",
        "error",
        "response_body",
    }


def test_deliveries_filters(tenant, admin):
    created = _create(admin, tenant).json()
    endpoint = _endpoint(tenant, created["id"])
    [dead] = _deliveries(tenant, endpoint, 1, status="dead", event_type="ticket.created")
    [sent] = _deliveries(tenant, endpoint, 1, status="sent", event_type="comment.created")
    url = _url(tenant, f"webhooks/{created['id']}/deliveries/")

    def ids(**query):
        response = admin.get(url, query)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids(status="dead") == [str(dead.public_id)]
    assert ids(event_type="comment.created") == [str(sent.public_id)]
    assert ids(created_after=sent.created_at.isoformat()) == [str(sent.public_id)]
    assert ids(created_before=sent.created_at.isoformat()) == [str(dead.public_id)]
    assert set(field_errors(admin.get(url, {"status": "lost"}))) == {"status"}
    assert set(field_errors(admin.get(url, {"created_after": "yesterday"}))) == {"created_after"}


@pytest.mark.parametrize("count", [1, 6])
def test_deliveries_list_costs_the_same_for_one_or_many(
    tenant, admin, count, django_assert_num_queries
):
    created = _create(admin, tenant).json()
    _deliveries(tenant, _endpoint(tenant, created["id"]), count)
    url = _url(tenant, f"webhooks/{created['id']}/deliveries/")
    admin.get(url)  # warm: the token's first use writes its last-used time

    with django_assert_num_queries(QUERIES_PER_DELIVERY_PAGE):
        response = admin.get(url)

    assert len(response.json()["results"]) == count


# Request plumbing (savepoints, auth, membership entering the tenant context) plus endpoint,
# deliveries with their endpoint, attempts: a constant, whatever the page holds.
QUERIES_PER_DELIVERY_PAGE = 8


def test_delivery_detail_shows_its_attempts(tenant, admin):
    created = _create(admin, tenant).json()
    [delivery] = _deliveries(tenant, _endpoint(tenant, created["id"]), 1, status="failed")

    response = admin.get(_url(tenant, f"webhook-deliveries/{delivery.public_id}/"))

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["endpoint"], body["status"]) == (
        str(delivery.public_id),
        created["id"],
        "failed",
    )
    assert [a["number"] for a in body["attempt_log"]] == [1, 2]


@pytest.mark.parametrize("finished", ["sent", "failed", "dead", "suppressed"])
def test_redeliver_puts_a_finished_delivery_back_in_line_and_is_audited(
    tenant, admin, finished, django_capture_on_commit_callbacks
):
    created = _create(admin, tenant).json()
    [delivery] = _deliveries(
        tenant, _endpoint(tenant, created["id"]), 1, status=finished, attempts=2
    )

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin.post(_url(tenant, f"webhook-deliveries/{delivery.public_id}/redeliver/"))

    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["attempts"], body["finished_at"]) == ("pending", 0, None)
    assert len(body["attempt_log"]) == 2  # the log of earlier attempts stays
    assert len(callbacks) == 1
    assert _audit(tenant, "webhook_delivery.redelivered") == [
        {
            "action": "webhook_delivery.redelivered",
            "target_label": "ticket.created",
            "before": {"status": finished},
            "after": {"status": "pending"},
        }
    ]


@pytest.mark.parametrize("unfinished", ["pending", "sending"])
def test_redeliver_of_an_unfinished_delivery_is_409(tenant, admin, unfinished):
    created = _create(admin, tenant).json()
    [delivery] = _deliveries(tenant, _endpoint(tenant, created["id"]), 1, status=unfinished)

    response = admin.post(_url(tenant, f"webhook-deliveries/{delivery.public_id}/redeliver/"))

    assert response.status_code == 409
    assert response.json()["code"] == "delivery_not_finished"
    assert _audit(tenant, "webhook_delivery.redelivered") == []


def test_another_tenants_endpoint_is_404_from_here(tenant, other_tenant, admin):
    with tenant_context(other_tenant):
        theirs = webhook_endpoint_recipe.make(tenant=other_tenant)

    response = admin.get(_url(tenant, f"webhooks/{theirs.public_id}/"))

    assert response.status_code == 404


def test_the_browsable_api_offers_a_json_form_that_starts_active(tenant, member, client):
    client.force_login(member(Role.ADMIN).user)

    page = client.get(f"/api/v1/t/{tenant.slug}/webhooks/", HTTP_ACCEPT="text/html")

    html = page.content.decode()
    assert page.status_code == 200
    assert "Lists are not currently supported in HTML input" not in html
    form = html.split('name="_content"')[1].split("</textarea>")[0]
    assert "&quot;active&quot;: true" in form
