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

import pytest

from tests.concurrency import race
from tests.races.conftest import status
from tests.races.race_builders import (
    _api_key_create,
    _api_key_revoke,
    _attachment_delete,
    _bulk,
    _customer_create,
    _customer_delete,
    _customer_erase_vs_delete,
    _customer_erase_vs_ticket_create,
    _customer_patch,
    _export_vs_erase,
    _inbound_email,
    _inbound_secret_rotate,
    _invitation_resend,
    _invitation_revoke,
    _invite,
    _member_availability,
    _member_delete,
    _member_patch,
    _merge,
    _tenant_delete,
    _tenant_patch,
    _ticket_assign,
    _ticket_comment,
    _ticket_create,
    _ticket_delete,
    _ticket_patch,
    _ticket_write_vs_erase,
    _upload,
)
from tests.races.race_builders_integrations import (
    _crm_create,
    _crm_delete,
    _crm_patch,
    _crm_redeliver,
    _webhook_create,
    _webhook_delete,
    _webhook_patch,
    _webhook_ping,
    _webhook_redeliver,
    _webhook_rotate,
)
from tests.races.race_builders_kb import (
    _article_archive,
    _article_create,
    _article_delete,
    _article_patch,
    _article_publish,
    _article_restore,
    _category_create,
    _category_delete,
    _category_patch,
    _help_feedback,
    _help_request,
)
from tests.races.race_builders_notifications import (
    _notification_read,
    _notification_read_all,
    _preferences_patch,
    _redeliver,
)
from tests.races.race_builders_sla import (
    _holiday_import,
    _hours_patch,
    _hours_put,
    _policy_create,
    _policy_delete,
    _policy_patch,
)
from tests.races.race_harness import Case, Harness, assert_invariants
from tests.tenant_routes import tenant_routes

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


# --- The table: route -> what it races -> allowed statuses ----------------------------------------


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
    _case(("member-availability", "POST"), "DELETE of the member", _member_availability,
          {200, 404}, {204}),
    # Notifications: nothing to delete through the API; each races the write it meets.
    _case(("notification-read", "POST"), "read-all of the same member (the same row)",
          _notification_read, {200}, {200}),
    _case(("notification-read-all", "POST"), "another read-all of the same member",
          _notification_read_all, {200}, {200}),
    _case(("notification-preferences", "PATCH"), "another first choice of the same member",
          _preferences_patch, {200}, {200}),
    _case(("email-delivery-redeliver", "POST"), "the same redeliver",
          _redeliver, {202, 409}, {202, 409}),
    # --- SLA settings
    _case(("sla-policy-list", "POST"), "the same POST (one tier's override twice)",
          _policy_create, {201, 409}, {201, 409}),
    _case(("sla-policy-detail", "PATCH"), "DELETE of the policy", _policy_patch,
          {200, 404}, {204}),
    _case(("sla-policy-detail", "DELETE"), "DELETE of the policy", _policy_delete,
          {204, 404}, {204, 404}),
    _case(("business-hours", "PUT"),
          "a PUT with the same If-Match (the calendar is changed, never deleted)", _hours_put,
          {200, 412}, {200, 412}),
    _case(("business-hours", "PATCH"),
          "a PATCH with the same If-Match (the calendar is changed, never deleted)",
          _hours_patch, {200, 412}, {200, 412}),
    _case(("business-hours-import-holidays", "POST"), "a PATCH of the holidays",
          _holiday_import, {200}, {200}),
    # --- Inbound email
    _case(("inbound-email", "POST"),
          "the same message delivered again (creates; nothing to delete)", _inbound_email,
          {202}, {202}),
    _case(("inbound-email-secret", "POST"),
          "the same POST (rotates; the secret is replaced, never deleted)",
          _inbound_secret_rotate, {201}, {201}),
    # --- Webhooks
    _case(("webhook-list", "POST"),
          "the same POST (creates; nothing to delete: endpoints may share a URL)",
          _webhook_create, {201}, {201}),
    _case(("webhook-detail", "PATCH"), "DELETE of the endpoint", _webhook_patch,
          {200, 404}, {204}),
    _case(("webhook-detail", "DELETE"), "DELETE of the endpoint", _webhook_delete,
          {204, 404}, {204, 404}),
    _case(("webhook-rotate-secret", "POST"),
          "another rotation (the secret is replaced, never deleted: both land, in turn)",
          _webhook_rotate, {200}, {200}),
    _case(("webhook-ping", "POST"), "DELETE of the endpoint", _webhook_ping,
          {202, 404}, {204}),
    _case(("webhook-delivery-redeliver", "POST"), "the same redeliver",
          _webhook_redeliver, {202, 409}, {202, 409}),
    # --- CRM
    _case(("crm-connection-list", "POST"), "the same POST (one connection per tenant)",
          _crm_create, {201, 409}, {201, 409}),
    _case(("crm-connection-detail", "PATCH"), "DELETE of the connection", _crm_patch,
          {200, 404}, {204}),
    _case(("crm-connection-detail", "DELETE"), "DELETE of the connection", _crm_delete,
          {204, 404}, {204, 404}),
    _case(("crm-sync-redeliver", "POST"), "the same redeliver",
          _crm_redeliver, {202, 409}, {202, 409}),
    # --- Knowledge base
    _case(("kb-category-list", "POST"), "the same POST (one slug twice)", _category_create,
          {201, 400}, {201, 400}),
    _case(("kb-category-detail", "PATCH"), "DELETE of the category", _category_patch,
          {200, 404}, {204}),
    _case(("kb-category-detail", "DELETE"), "DELETE of the category", _category_delete,
          {204, 404}, {204, 404}),
    _case(("kb-article-list", "POST"), "DELETE of its category", _article_create,
          {201, 400}, {204, 409}),
    _case(("kb-article-detail", "PATCH"), "DELETE of the article", _article_patch,
          {200, 404}, {204}),
    _case(("kb-article-detail", "DELETE"), "DELETE of the article", _article_delete,
          {204, 404}, {204, 404}),
    _case(("kb-article-publish", "POST"), "DELETE of the article", _article_publish,
          {200, 404}, {204}),
    _case(("kb-article-archive", "POST"), "a publish of the same article", _article_archive,
          {200}, {200, 409}),
    _case(("kb-article-restore", "POST"), "the same restore (both land, in turn)",
          _article_restore, {200}, {200}),
    # --- The public help center (anonymous visitors; nothing of theirs can be deleted)
    _case(("help-article-feedback", "POST"),
          "the same visitor's vote on the same article (counted once)", _help_feedback,
          {202}, {202}),
    _case(("help-requests", "POST"),
          "the same request submitted again (a double click: one ticket)", _help_request,
          {202}, {202}),
]  # fmt: skip


def test_every_tenant_write_route_has_a_race_case():
    writes = {route for route in tenant_routes() if route[1] in WRITE_METHODS}

    assert {case.route for case in HARNESS} == writes


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
