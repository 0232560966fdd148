"""Search languages: documents built and queries parsed with the tenant's text search
configuration, the background rebuild when it changes, and the setting's validation
(docs/search.md)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from tenants.access import Actor
from tenants.context import tenant_context
from tenants.models import SEARCH_LANGUAGES, Role, Tenant
from tenants.services.tenants import tenant_update
from tests.tickets.search.helpers import found, make_comment, make_ticket, search
from tickets import search as search_module


def _language(tenant, language: str) -> None:
    """Set the language directly (no rebuild): for tenants whose tickets come afterwards."""
    Tenant.objects.filter(pk=tenant.pk).update(settings={"search_language": language})
    tenant.refresh_from_db()


@pytest.fixture
def owner_client(member, api_client):
    return api_client(member(Role.OWNER))


def _patch_language(client, tenant, language):
    return client.patch(
        f"/api/v1/t/{tenant.slug}/", {"settings": {"search_language": language}}, format="json"
    )


# --- Stemming per language ------------------------------------------------------------------


def test_english_is_the_default_and_stems(tenant):
    jamming = make_ticket(tenant, "Printer jamming again")
    make_ticket(tenant, "Jamboree planning")

    assert tenant.effective_settings["search_language"] == "english"
    assert found(tenant, "jammed") == [jamming.pk]
    assert found(tenant, "jams") == [jamming.pk]


def test_german_stems_german_words(tenant):
    _language(tenant, "german")
    druckers = make_ticket(tenant, "Papierstau des Druckers")
    make_ticket(tenant, "Bildschirm flackert")

    assert found(tenant, "Drucker") == [druckers.pk]


def test_simple_does_not_stem(tenant):
    _language(tenant, "simple")
    jamming = make_ticket(tenant, "Printer jamming again")
    druckers = make_ticket(tenant, "Papierstau des Druckers")

    assert (found(tenant, "jammed"), found(tenant, "Drucker")) == ([], [])
    assert (found(tenant, "jamming"), found(tenant, "Druckers")) == ([jamming.pk], [druckers.pk])


def test_a_stemmed_title_match_ranks_above_a_body_match(tenant, client):
    # The body match is newer: the tie-break (newest first) alone would list it first.
    make_ticket(tenant, "Printer jamming", "Paper everywhere")
    body = make_ticket(tenant, "Office hardware", "The printer jammed twice")
    make_comment(tenant, body, "Still jams")
    make_ticket(tenant, "Unrelated", "Nothing here")

    assert search(client, tenant, "jam") == ["Printer jamming", "Office hardware"]


def test_another_tenants_words_never_match_whatever_its_language(tenant, other_tenant, client):
    _language(other_tenant, "german")
    make_ticket(other_tenant, "Papierstau des Druckers", "Drucker jamming")
    ours = make_ticket(tenant, "Login trouble")

    assert search(client, tenant, "Drucker") == []
    assert search(client, tenant, "jammed") == []
    assert found(tenant, "login") == [ours.pk]


def test_an_unknown_stored_language_reads_as_english_and_writes_keep_working(tenant):
    # Only the validated settings service writes it; a value slipped past it (admin, SQL)
    # must neither fail ticket writes nor pick a configuration outside pg_catalog.
    _language(tenant, "public.evil")
    jamming = make_ticket(tenant, "Printer jamming again")

    assert found(tenant, "jammed") == [jamming.pk]


@pytest.mark.django_db(databases=["default", "owner"])
def test_every_offered_language_is_a_postgresql_configuration():
    with connections["owner"].cursor() as cursor:
        cursor.execute(
            "SELECT cfgname FROM pg_ts_config "
            "WHERE cfgnamespace = 'pg_catalog'::regnamespace ORDER BY cfgname"
        )
        configurations = [name for (name,) in cursor.fetchall()]

    assert sorted(SEARCH_LANGUAGES) == configurations


# --- Changing the language ------------------------------------------------------------------


def test_changing_the_language_rebuilds_the_documents(
    tenant, owner_client, django_capture_on_commit_callbacks
):
    _language(tenant, "simple")
    druckers = make_ticket(tenant, "Papierstau des Druckers")
    make_comment(tenant, druckers, "Drucker steht im Flur")
    make_ticket(tenant, "Bildschirm flackert")
    assert found(tenant, "Druckern") == []

    with django_capture_on_commit_callbacks(execute=True):
        response = _patch_language(owner_client, tenant, "german")

    assert response.status_code == 200, response.content
    assert response.json()["settings"]["search_language"] == "german"
    assert found(tenant, "Druckern") == [druckers.pk]
    assert found(tenant, "Flure") == [druckers.pk]  # the comment is rebuilt too


def test_until_the_rebuild_runs_old_and_new_documents_are_found(
    tenant, owner_client, django_capture_on_commit_callbacks
):
    _language(tenant, "simple")
    old = make_ticket(tenant, "Papierstau des Druckers")

    with django_capture_on_commit_callbacks(execute=False):
        assert _patch_language(owner_client, tenant, "german").status_code == 200
    new = make_ticket(tenant, "Drucker kaputt")

    # The old document holds `druckers` (simple), the new one `druck` (german): the query is
    # parsed with both until the rebuild has gone over every ticket.
    assert sorted(found(tenant, "Druckers")) == sorted([old.pk, new.pk])
    assert found(tenant, "Drucker") == [new.pk]


def test_the_rebuild_runs_in_batches_each_committed(tenant, monkeypatch):
    _language(tenant, "simple")
    tickets = [make_ticket(tenant, f"Drucker {n} kaputt") for n in range(5)]
    _language(tenant, "german")

    batches = search_module.ticket_search_rebuild(tenant_id=tenant.pk, batch_size=2)

    assert batches == 4  # 2 + 2 + 1 tickets, then the empty batch that records the language
    assert sorted(found(tenant, "Druckern")) == sorted(t.pk for t in tickets)


def test_the_rebuild_is_enqueued_only_when_the_language_changes(
    tenant, owner_client, django_capture_on_commit_callbacks, monkeypatch
):
    calls = []
    monkeypatch.setattr(
        search_module, "ticket_search_rebuild", lambda **kwargs: calls.append(kwargs) or 0
    )

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.patch(
            f"/api/v1/t/{tenant.slug}/", {"settings": {"auto_assign": True}}, format="json"
        )
        _patch_language(owner_client, tenant, "english")  # the default: no change
    assert calls == []

    with django_capture_on_commit_callbacks(execute=True):
        _patch_language(owner_client, tenant, "french")
    assert calls == [{"tenant_id": tenant.pk}]


def test_the_service_refuses_an_unknown_language(tenant):
    with pytest.raises(ValidationError) as error, tenant_context(tenant):
        tenant_update(tenant=tenant, actor=Actor(), settings={"search_language": "klingon"})

    assert "settings" in error.value.message_dict
    tenant.refresh_from_db()
    assert tenant.settings == {}


def test_an_unknown_language_is_400_on_the_tenant_patch(tenant, owner_client):
    response = _patch_language(owner_client, tenant, "klingon")

    assert response.status_code == 400, response.content
    tenant.refresh_from_db()
    assert tenant.effective_settings["search_language"] == "english"
