"""Article search (kb/search/) and a ticket's article suggestions (tickets/<n>/suggestions/)."""

import pytest
from django.conf import settings
from django.db import ProgrammingError, connection, connections

from knowledge_base.rendering import markdown_render
from knowledge_base.search import build_any_query, build_prefix_query, render_highlight
from knowledge_base.selectors import article_search
from tenants.context import tenant_context
from tenants.models import Role
from tests.knowledge_base.recipes import article_recipe
from tests.tenants.recipes import tenant_recipe
from tests.tickets.recipes import customer_recipe, ticket_recipe


@pytest.fixture
def viewer(member, api_client):
    return api_client(member(Role.VIEWER))


def _article(tenant, **fields):
    fields.setdefault("status", "published")
    fields.setdefault("body", "")
    fields.setdefault("tags", [])
    fields.setdefault("body_html", markdown_render(fields["body"]))
    with tenant_context(tenant):
        return article_recipe.make(tenant=tenant, **fields)


def _search(client, tenant, q, **params):
    response = client.get(f"/api/v1/t/{tenant.slug}/kb/search/", {"q": q, **params})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _titles(results):
    return [r["title"] for r in results]


def test_stemming_finds_another_form_of_the_word(tenant, viewer):
    _article(tenant, title="Jamming printers")
    _article(tenant, title="Refunds")

    assert _titles(_search(viewer, tenant, "jammed")) == ["Jamming printers"]


def test_a_title_match_ranks_above_a_body_match(tenant, viewer):
    _article(tenant, title="Billing questions", body="When the router restarts, wait.")
    _article(tenant, title="Router setup", body="Plug it in.")

    assert _titles(_search(viewer, tenant, "router")) == ["Router setup", "Billing questions"]


def test_the_last_word_matches_as_a_prefix(tenant, viewer):
    _article(tenant, title="Printer offline")
    _article(tenant, title="Private notes")

    assert _titles(_search(viewer, tenant, "prin")) == ["Printer offline"]
    assert _titles(_search(viewer, tenant, "offline prin")) == ["Printer offline"]


def test_drafts_are_found_and_status_narrows(tenant, viewer):
    _article(tenant, title="Printer draft", status="draft")
    _article(tenant, title="Printer guide")

    assert sorted(_titles(_search(viewer, tenant, "printer"))) == ["Printer draft", "Printer guide"]
    assert _titles(_search(viewer, tenant, "printer", status="draft")) == ["Printer draft"]
    bad = viewer.get(f"/api/v1/t/{tenant.slug}/kb/search/", {"q": "x", "status": "gone"})
    assert bad.status_code == 400


def test_highlights_escape_the_text_and_mark_only_the_matches(tenant, viewer):
    _article(
        tenant,
        title="<script>alert(1)</script> printer & co",
        body='The printer says <img src=x onerror="alert(2)"> & more',
    )

    [hit] = _search(viewer, tenant, "printer")

    assert hit["title_highlight"] == (
        "&lt;script&gt;alert(1)&lt;/script&gt; <mark>printer</mark> &amp; co"
    )
    assert "<mark>printer</mark> says" in hit["highlight"]
    assert "&amp;" in hit["highlight"]
    assert hit["highlight"].replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_markers_in_the_text_cannot_forge_tags():
    assert render_highlight("a\ue000b\ue001 <b>") == "a<mark>b</mark> &lt;b&gt;"


def test_query_syntax_in_the_input_is_only_words(tenant, viewer):
    _article(tenant, title="Printer offline")

    for q in ["printer & !offline", "printer') | ('x", "\\ :* <-> !!", "", "   ", "((("]:
        viewer.get(f"/api/v1/t/{tenant.slug}/kb/search/", {"q": q})  # never a 500
        assert isinstance(_search(viewer, tenant, q), list)
    assert _titles(_search(viewer, tenant, "printer & !offline")) == ["Printer offline"]
    assert build_prefix_query("it's a \\ test") == "'it' & 's' & 'a' & 'test':*"
    assert build_any_query("Printer printer jam") == "'printer' | 'jam'"
    assert build_any_query("x" * 101 + " jam") == "'jam'"


def test_a_new_search_language_rebuilds_the_article_documents(tenant, other_tenant, viewer):
    _article(tenant, title="Jamming printers")
    _article(other_tenant, title="Jamming printers")
    assert _titles(_search(viewer, tenant, "jammed")) == ["Jamming printers"]

    with tenant_context(other_tenant), connection.cursor() as cursor:
        tenant.settings = {**(tenant.settings or {}), "search_language": "simple"}
        tenant.save(update_fields=["settings"])
        cursor.execute("SELECT current_setting('app.tenant_id')")
        assert cursor.fetchone() == (str(other_tenant.pk),)  # put back after the rebuild
        assert len(article_search(tenant=other_tenant, query="jammed")) == 1  # untouched

    assert _search(viewer, tenant, "jammed") == []  # no stemming in simple
    assert _titles(_search(viewer, tenant, "jamming")) == ["Jamming printers"]


def test_a_term_of_another_tenants_article_never_matches(tenant, other_tenant, viewer):
    _article(other_tenant, title="Zanzibar secret")
    _article(tenant, title="Ordinary")

    assert _search(viewer, tenant, "zanzibar") == []
    assert _search(viewer, tenant, "zanz") == []


def test_no_tenant_context_no_rows(tenant):
    _article(tenant, title="Printer offline")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM kb_search(%s, NULL, 10)", ["'printer'"])
        assert cursor.fetchall() == []


def test_edits_and_deletes_keep_the_index_in_step(tenant, viewer):
    article = _article(tenant, title="Printer offline")
    with tenant_context(tenant):
        article.title = "Scanner offline"
        article.save()

    assert _search(viewer, tenant, "printer") == []
    assert _titles(_search(viewer, tenant, "scanner")) == ["Scanner offline"]
    with tenant_context(tenant):
        article.delete()
    assert _search(viewer, tenant, "scanner") == []


@pytest.mark.parametrize("count", [1, 15])
def test_search_costs_the_same_for_one_or_many(tenant, viewer, count, django_assert_num_queries):
    for i in range(count):
        _article(tenant, title=f"Printer {i}", tags=["printing"])
    url = f"/api/v1/t/{tenant.slug}/kb/search/"
    viewer.get(url, {"q": "warm"})
    with django_assert_num_queries(_queries(viewer, url, {"q": "nothing-matches"}) + 1):
        response = viewer.get(url, {"q": "printer"})
    assert len(response.json()["results"]) == count


def _queries(client, url, params) -> int:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url, params)
    return len(captured)


# --- Suggestions ------------------------------------------------------------------------------


def _ticket(tenant, **fields):
    with tenant_context(tenant):
        customer = customer_recipe.make(tenant=tenant)
        return ticket_recipe.make(tenant=tenant, requester=customer, **fields)


def _suggest(client, tenant, ticket):
    return client.get(f"/api/v1/t/{tenant.slug}/tickets/{ticket.number}/suggestions/")


def test_suggestions_rank_published_articles_for_the_ticket(tenant, viewer):
    _article(tenant, title="Printer jams", body="Open the tray.")
    _article(tenant, title="Paper tray", body="A printer tray.")
    _article(tenant, title="Printer jam draft", status="draft")
    _article(tenant, title="Printer archived", status="archived")
    _article(tenant, title="Refunds")
    ticket = _ticket(tenant, subject="My printer jammed", description="The paper is stuck.")

    response = _suggest(viewer, tenant, ticket)

    assert response.status_code == 200
    assert _titles(response.json()["results"]) == ["Printer jams", "Paper tray"]


def test_suggestions_are_at_most_five(tenant, viewer):
    for i in range(7):
        _article(tenant, title=f"Printer {i}")
    ticket = _ticket(tenant, subject="printer", description="z" * 5000 + " the a of")

    assert len(_suggest(viewer, tenant, ticket).json()["results"]) == 5


def test_suggestions_for_a_foreign_ticket_are_404(tenant, other_tenant, viewer):
    foreign = _ticket(other_tenant, subject="printer", description="")
    _article(tenant, title="Printer")

    response = viewer.get(f"/api/v1/t/{tenant.slug}/tickets/{foreign.number + 10**6}/suggestions/")
    assert response.status_code == 404
    response = _suggest(viewer, tenant, foreign)
    assert response.status_code == 404


# --- The side table's wall ---------------------------------------------------------------------


def _owner_rows(sql, params=None):
    with connections["owner"].cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def _owner_run(sql):
    with connections["owner"].cursor() as cursor:
        cursor.execute(sql)


@pytest.mark.django_db(databases=["default", "owner"])
def test_the_runtime_role_may_only_execute_kb_search():
    role = settings.TENANCY_DB_ROLE
    [(table_privileges,)] = _owner_rows(
        "SELECT array_agg(p) FILTER (WHERE has_table_privilege(%s, %s, p)) "
        "FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', "
        "'TRIGGER']) AS p",
        [role, "knowledge_base_articlesearch"],
    )
    functions = dict(
        _owner_rows(
            "SELECT p.oid::regprocedure::text, has_function_privilege(%s, p.oid, 'EXECUTE') "
            "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' AND p.proname LIKE 'kb\\_search%%'",
            [role],
        )
    )
    definers = _owner_rows(
        "SELECT p.proname, p.proconfig FROM pg_proc p "
        "WHERE p.proname LIKE 'kb\\_search%%' AND p.prosecdef ORDER BY p.proname"
    )

    assert table_privileges is None
    assert functions == {
        "kb_search(text,text,integer)": True,
        "kb_search_document(regconfig,text,text,text[],text)": False,
        "kb_search_article_changed()": False,
        "kb_search_article_truncated()": False,
        "kb_search_language_changed()": False,
    }
    assert [name for name, _ in definers] == [
        "kb_search",
        "kb_search_article_changed",
        "kb_search_article_truncated",
        "kb_search_language_changed",
    ]
    assert {tuple(config) for _, config in definers} == {
        ("search_path=pg_catalog, public, pg_temp",)
    }


def test_the_runtime_role_cannot_read_the_side_table(tenant):
    with pytest.raises(ProgrammingError, match="permission denied"), tenant_context(tenant):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM knowledge_base_articlesearch")


@pytest.mark.django_db(databases=["default", "owner"], transaction=False)
def test_kb_search_scans_the_gin_index_as_the_runtime_role():
    tenant = tenant_recipe.make(_using="owner")
    with tenant_context(tenant, using="owner"):
        article_recipe.make(tenant=tenant, _quantity=300, _bulk_create=True, _using="owner")
        article_recipe.make(tenant=tenant, title="kerberos outage", _using="owner")
    _owner_rows("SELECT gin_clean_pending_list('knowledge_base_articlesearch_gin'::regclass)")
    _owner_run("ANALYZE knowledge_base_articlesearch")
    scans = (
        "SELECT c.relname, pg_stat_get_xact_numscans(c.oid) FROM pg_class c WHERE c.relname IN "
        "('knowledge_base_articlesearch', 'knowledge_base_articlesearch_gin', "
        "'knowledge_base_articlesearch_pkey')"
    )
    with tenant_context(tenant, using="owner"):
        _owner_run("SET LOCAL enable_seqscan = off")
        before = dict(_owner_rows(scans))
        [(role,)] = _owner_rows("SELECT current_user")
        found = _owner_rows("SELECT article_id FROM kb_search('''kerberos''', NULL, 20)")
        after = dict(_owner_rows(scans))

    assert role == settings.TENANCY_DB_ROLE
    assert len(found) == 1
    assert {name: after[name] - before[name] for name in after} == {
        "knowledge_base_articlesearch_gin": 1,
        "knowledge_base_articlesearch": 0,
        "knowledge_base_articlesearch_pkey": 0,
    }
