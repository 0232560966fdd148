"""The public help center (/api/v1/help/<slug>/…): published articles only, for anyone, in one
tenant; feedback votes without personal data; ticket requests; caching; quotas."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from knowledge_base import services
from knowledge_base.models import Article
from knowledge_base.search import article_search_hits, build_prefix_query
from knowledge_base.selectors import _with_articles
from knowledge_base.services.help_center import article_feedback_record, help_request_submit
from tenants.access import SYSTEM
from tenants.context import tenant_context
from tenants.models import AuditLogEntry, Tenant
from tests.knowledge_base.recipes import article_recipe, category_recipe
from tickets.models import Customer, Ticket


def _help(tenant, path=""):
    return f"/api/v1/help/{tenant.slug}/{path}"


def _article(tenant, **fields):
    fields.setdefault("status", "published")
    if fields["status"] != "draft":
        fields.setdefault("published_at", datetime.now(UTC))
    with tenant_context(tenant):
        return article_recipe.make(tenant=tenant, **fields)


def _counts(tenant, article):
    with tenant_context(tenant):
        return Article.objects.values_list("view_count", "helpful_count", "not_helpful_count").get(
            pk=article.pk
        )


@pytest.fixture
def visitor():
    return APIClient()


def _rates(**rates):
    """REST_FRAMEWORK with some throttle rates replaced (DRF reloads its settings)."""
    return override_settings(
        REST_FRAMEWORK={
            **api_settings.user_settings,
            "DEFAULT_THROTTLE_RATES": {**api_settings.DEFAULT_THROTTLE_RATES, **rates},
        }
    )


# --- What is visible --------------------------------------------------------------------------


def test_the_list_shows_only_this_tenants_published_articles(tenant, other_tenant, visitor):
    _article(tenant, title="Published here", slug="same-slug")
    _article(tenant, title="A draft", status="draft")
    _article(tenant, title="Archived", status="archived")
    _article(other_tenant, title="Other tenant's", slug="same-slug")

    response = visitor.get(_help(tenant, "articles/"))

    assert response.status_code == 200
    assert [a["title"] for a in response.json()["results"]] == ["Published here"]


def test_the_list_is_newest_first_and_pages_by_cursor(tenant, visitor):
    now = datetime.now(UTC)
    for days in range(5):
        _article(tenant, title=f"{days} days old", published_at=now - timedelta(days=days))

    first = visitor.get(_help(tenant, "articles/"), {"page_size": 3}).json()
    second = visitor.get(first["next"]).json()

    titles = [a["title"] for a in first["results"] + second["results"]]
    assert titles == [f"{days} days old" for days in range(5)]
    assert second["next"] is None


def test_a_category_lists_its_articles_and_its_subcategories(tenant, visitor):
    with tenant_context(tenant):
        top = category_recipe.make(tenant=tenant, slug="billing")
        child = category_recipe.make(tenant=tenant, slug="refunds", parent=top)
        other = category_recipe.make(tenant=tenant, slug="printers")
    _article(tenant, title="Invoices", category=top)
    _article(tenant, title="Refund times", category=child)
    _article(tenant, title="Jams", category=other)
    _article(tenant, title="Draft refund", category=child, status="draft")

    billing = visitor.get(_help(tenant, "articles/"), {"category": "billing"}).json()
    refunds = visitor.get(_help(tenant, "articles/"), {"category": "refunds"}).json()

    assert sorted(a["title"] for a in billing["results"]) == ["Invoices", "Refund times"]
    assert [a["title"] for a in refunds["results"]] == ["Refund times"]
    assert refunds["results"][0]["category"] == {"slug": "refunds", "name": child.name}


def test_an_unknown_or_foreign_category_is_404(tenant, other_tenant, visitor):
    with tenant_context(other_tenant):
        category_recipe.make(tenant=other_tenant, slug="theirs")

    assert visitor.get(_help(tenant, "articles/"), {"category": "theirs"}).status_code == 404
    bad = visitor.get(_help(tenant, "articles/"), {"category": "not a slug"})
    assert bad.status_code == 400
    assert "category" in bad.json()["errors"]


def test_categories_count_only_published_articles(tenant, other_tenant, visitor):
    with tenant_context(tenant):
        top = category_recipe.make(tenant=tenant, slug="billing", position=1)
        child = category_recipe.make(tenant=tenant, slug="refunds", parent=top, position=2)
        category_recipe.make(tenant=tenant, slug="invoices", parent=top, position=3)
    _article(tenant, category=top)
    _article(tenant, category=top, status="draft")
    _article(tenant, category=child)
    _article(tenant, category=child, status="archived")
    with tenant_context(other_tenant):
        category_recipe.make(tenant=other_tenant, slug="theirs")
    _article(other_tenant, category=None)

    results = visitor.get(_help(tenant, "categories/")).json()["results"]

    assert [(c["slug"], c["parent"], c["article_count"]) for c in results] == [
        ("billing", None, 1),
        ("refunds", "billing", 1),
    ]


def test_a_category_without_published_articles_is_not_on_the_help_center(tenant, visitor):
    with tenant_context(tenant):
        top = category_recipe.make(tenant=tenant, slug="secret-product", name="Secret X")
        child = category_recipe.make(tenant=tenant, slug="launch", parent=top)
        category_recipe.make(tenant=tenant, slug="empty")
    _article(tenant, category=top, status="draft")
    _article(tenant, category=child, status="archived")

    listed = visitor.get(_help(tenant, "categories/")).json()["results"]
    by_slug = [
        visitor.get(_help(tenant, "articles/"), {"category": slug}).status_code
        for slug in ("secret-product", "launch", "empty")
    ]

    assert listed == []
    assert by_slug == [404, 404, 404]


def test_a_parent_is_listed_when_only_its_subcategory_holds_published_articles(tenant, visitor):
    with tenant_context(tenant):
        top = category_recipe.make(tenant=tenant, slug="billing", position=1)
        child = category_recipe.make(tenant=tenant, slug="refunds", parent=top, position=2)
    _article(tenant, category=child)

    results = visitor.get(_help(tenant, "categories/")).json()["results"]

    assert [(c["slug"], c["article_count"]) for c in results] == [
        ("billing", 0),
        ("refunds", 1),
    ]


def test_an_article_shows_its_html_and_nothing_internal(tenant, editor, supervisor, visitor):
    with tenant_context(tenant):
        article = services.article_create(
            tenant=tenant,
            actor=editor,
            title="Reset a password",
            body="Click [here](javascript:alert(1)) <script>x()</script> **now**",
        )
        services.article_publish(tenant=tenant, actor=supervisor, article=article)

    response = visitor.get(_help(tenant, f"articles/{article.slug}/"))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "slug",
        "title",
        "excerpt",
        "tags",
        "category",
        "published_at",
        "updated_at",
        "body_html",
    }
    assert "<strong>now</strong>" in body["body_html"]
    assert "href" not in body["body_html"] and "<script" not in body["body_html"]


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_a_draft_or_archived_article_is_404_like_a_missing_one(tenant, visitor, status):
    article = _article(tenant, status=status)

    hidden = visitor.get(_help(tenant, f"articles/{article.slug}/"))
    missing = visitor.get(_help(tenant, "articles/no-such-article/"))

    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())
    assert hidden.status_code == 404
    assert visitor.head(_help(tenant, f"articles/{article.slug}/")).status_code == 404


def test_another_tenants_article_is_404_by_its_slug(tenant, other_tenant, visitor):
    theirs = _article(other_tenant, slug="only-theirs")

    assert visitor.get(_help(tenant, f"articles/{theirs.slug}/")).status_code == 404
    assert visitor.get(_help(other_tenant, f"articles/{theirs.slug}/")).status_code == 200


def test_an_unknown_or_deactivated_tenant_is_404(tenant, visitor):
    _article(tenant)
    assert visitor.get("/api/v1/help/no-such-tenant/articles/").status_code == 404

    Tenant.objects.filter(pk=tenant.pk).update(is_active=False)

    assert visitor.get(_help(tenant, "articles/")).status_code == 404


def test_a_tenant_with_its_help_center_off_has_none(tenant, visitor):
    article = _article(tenant)
    Tenant.objects.filter(pk=tenant.pk).update(settings={"help_center_enabled": False})

    answers = [
        visitor.get(_help(tenant)),
        visitor.get(_help(tenant, f"articles/{article.slug}/")),
        visitor.get(_help(tenant, "search/"), {"q": "article"}),
        visitor.post(_help(tenant, "requests/"), REQUEST),
        visitor.post(_help(tenant, f"articles/{article.slug}/feedback/"), {"helpful": True}),
    ]

    assert {(a.status_code, a.json()["code"]) for a in answers} == {(404, "not_found")}
    assert _tickets(tenant) == [] and _counts(tenant, article) == (0, 0, 0)


def test_a_former_slug_redirects_to_the_current_one(tenant, editor, supervisor, visitor):
    with tenant_context(tenant):
        article = services.article_create(tenant=tenant, actor=editor, title="Old", slug="old")
        article = services.article_publish(tenant=tenant, actor=supervisor, article=article)
        services.article_update(tenant=tenant, actor=editor, article=article, slug="new")

    response = visitor.get(_help(tenant, "articles/old/"))

    assert response.status_code == 301
    assert response["Location"] == _help(tenant, "articles/new/")
    assert visitor.get(response["Location"]).json()["slug"] == "new"
    head = visitor.head(_help(tenant, "articles/old/"), {"format": "json"})
    assert (head.status_code, head["Location"]) == (
        301,
        _help(tenant, "articles/new/") + "?format=json",
    )


def test_a_slug_an_article_had_only_as_a_draft_is_404(tenant, editor, supervisor, visitor):
    with tenant_context(tenant):
        article = services.article_create(
            tenant=tenant, actor=editor, title="Acquisition", slug="acme-acquisition-q3"
        )
        article = services.article_update(
            tenant=tenant, actor=editor, article=article, slug="announcement"
        )
        services.article_publish(tenant=tenant, actor=supervisor, article=article)

    assert visitor.get(_help(tenant, "articles/acme-acquisition-q3/")).status_code == 404
    assert visitor.get(_help(tenant, "articles/announcement/")).status_code == 200


def test_a_former_slug_of_an_archived_article_is_404(tenant, editor, supervisor, visitor):
    with tenant_context(tenant):
        article = services.article_create(tenant=tenant, actor=editor, title="Old", slug="old")
        article = services.article_publish(tenant=tenant, actor=supervisor, article=article)
        article = services.article_update(tenant=tenant, actor=editor, article=article, slug="n")
        services.article_archive(tenant=tenant, actor=supervisor, article=article)

    assert visitor.get(_help(tenant, "articles/old/")).status_code == 404
    assert visitor.get(_help(tenant, "articles/n/")).status_code == 404


def test_the_root_names_the_help_center_and_its_parts(tenant, visitor):
    body = visitor.get(_help(tenant)).json()

    assert body["name"] == tenant.name
    assert body["articles"] == f"http://testserver{_help(tenant, 'articles/')}"


# --- Search -----------------------------------------------------------------------------------


def test_search_finds_published_articles_of_this_tenant_only(tenant, other_tenant, visitor):
    _article(tenant, title="Printer jammed", body="Open the tray.")
    _article(tenant, title="Printer draft", status="draft")
    _article(tenant, title="Printer archived", status="archived")
    _article(other_tenant, title="Printer of theirs")

    results = visitor.get(_help(tenant, "search/"), {"q": "printers"}).json()["results"]

    assert [r["title"] for r in results] == ["Printer jammed"]
    assert results[0]["title_highlight"] == "<mark>Printer</mark> jammed"
    assert "id" not in results[0] and "status" not in results[0]


def test_search_highlights_what_the_reader_sees_not_the_markdown(
    tenant, editor, supervisor, visitor
):
    with tenant_context(tenant):
        article = services.article_create(
            tenant=tenant,
            actor=editor,
            title="Router setup",
            body="Read the [router guide](https://intranet.example/secret-path) & **restart**.",
        )
        services.article_publish(tenant=tenant, actor=supervisor, article=article)

    [hit] = visitor.get(_help(tenant, "search/"), {"q": "restart"}).json()["results"]

    assert "<mark>restart</mark>" in hit["highlight"]
    assert "router guide" in hit["highlight"] and "&amp; " in hit["highlight"]
    for source in ("](", "**", "intranet.example", "&amp;amp;", "<strong>"):
        assert source not in hit["highlight"], source


def test_search_skips_an_article_that_left_published_between_its_two_reads(tenant):
    article = _article(tenant, title="Printer jammed")
    with tenant_context(tenant):
        hits = article_search_hits(
            tsquery=build_prefix_query("printer"), status="published", limit=20
        )
        Article.objects.filter(pk=article.pk).update(status="draft", title="Secret draft")

        assert [h.article_id for h in hits] == [article.pk]
        assert _with_articles(tenant=tenant, hits=hits, status="published") == []


def test_search_without_words_finds_nothing(tenant, visitor):
    _article(tenant, title="Printer jammed")

    assert visitor.get(_help(tenant, "search/"), {"q": "  ?! "}).json() == {"results": []}
    assert visitor.get(_help(tenant, "search/"), {"q": "x" * 201}).status_code == 400


# --- Caching ----------------------------------------------------------------------------------


def test_reads_are_cacheable_and_revalidate_with_304(tenant, visitor):
    article = _article(tenant, title="Reset a password")
    url = _help(tenant, f"articles/{article.slug}/")

    first = visitor.get(url)
    again = visitor.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    weak = visitor.get(url, HTTP_IF_NONE_MATCH=f'"nope", W/{first["ETag"]}')

    assert first["Cache-Control"] == "public, max-age=60"
    assert "Accept" in first["Vary"]
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", first["ETag"])
    assert again["Cache-Control"] == "public, max-age=60"
    assert weak.status_code == 304


def test_a_change_of_the_article_changes_the_etag(tenant, visitor):
    article = _article(tenant, title="Reset a password")
    url = _help(tenant, f"articles/{article.slug}/")
    before = visitor.get(url)["ETag"]
    with tenant_context(tenant):
        Article.objects.filter(pk=article.pk).update(title="Reset your password")

    response = visitor.get(url, HTTP_IF_NONE_MATCH=before)

    assert response.status_code == 200
    assert response["ETag"] != before
    assert response.json()["title"] == "Reset your password"


def test_lists_and_search_carry_etags_too(tenant, visitor):
    _article(tenant, title="Printer jammed")
    for path, params in [("articles/", {}), ("categories/", {}), ("search/", {"q": "printer"})]:
        first = visitor.get(_help(tenant, path), params)
        again = visitor.get(_help(tenant, path), params, HTTP_IF_NONE_MATCH=first["ETag"])
        assert (first.status_code, again.status_code) == (200, 304), path


def test_a_view_counts_once_per_full_answer_not_for_304_or_head(
    tenant, visitor, django_capture_on_commit_callbacks
):
    article = _article(tenant)
    url = _help(tenant, f"articles/{article.slug}/")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        etag = visitor.get(url)["ETag"]
        visitor.get(url)
        visitor.get(url, HTTP_IF_NONE_MATCH=etag)
        visitor.head(url)

    assert len(callbacks) == 2
    assert _counts(tenant, article) == (2, 0, 0)


def test_a_view_is_counted_after_the_answer_commits_not_inside_it(
    tenant, visitor, django_assert_num_queries
):
    article = _article(tenant)

    # Inside the request: no UPDATE (the count waits for the commit).
    with django_assert_num_queries(QUERIES_PER_HELP_ARTICLE_PAGE) as captured:
        visitor.get(_help(tenant, f"articles/{article.slug}/"))

    assert not [q for q in captured.captured_queries if q["sql"].startswith("UPDATE")]


# --- Feedback ---------------------------------------------------------------------------------


def test_feedback_counts_once_per_visitor_per_day(tenant, visitor):
    article = _article(tenant)
    url = _help(tenant, f"articles/{article.slug}/feedback/")

    answers = [
        visitor.post(url, {"helpful": True}),
        visitor.post(url, {"helpful": False}),  # the same visitor, the same day
        visitor.post(url, {"helpful": False}, HTTP_USER_AGENT="Another browser"),
        visitor.post(url, {"helpful": True}, REMOTE_ADDR="203.0.113.9"),
        visitor.post(url, {"helpful": False}, REMOTE_ADDR="2001:db8:1:2::1"),
        visitor.post(url, {"helpful": False}, REMOTE_ADDR="2001:db8:1:2::99"),  # same /64
        visitor.post(url, {"helpful": False}, REMOTE_ADDR="2001:db8:1:3::1"),
    ]

    assert {(a.status_code, a.json()["detail"]) for a in answers} == {
        (202, "Thank you for your feedback.")
    }
    assert _counts(tenant, article) == (0, 2, 2)


def test_a_vote_whose_request_failed_does_not_block_the_next_one(tenant):
    article = _article(tenant)
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

    with tenant_context(tenant):
        try:
            with transaction.atomic():
                article_feedback_record(
                    tenant=tenant, article=article, helpful=True, visitor="v", now=now
                )
                raise RuntimeError("the request failed after the vote")
        except RuntimeError:
            pass
        cache.clear()  # the minute's reservation is over
        again = article_feedback_record(
            tenant=tenant, article=article, helpful=True, visitor="v", now=now
        )

    assert again is True
    assert _counts(tenant, article) == (0, 1, 0)


def test_a_committed_vote_holds_for_the_rest_of_the_day(tenant, django_capture_on_commit_callbacks):
    article = _article(tenant)
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

    with tenant_context(tenant):
        with django_capture_on_commit_callbacks(execute=True):
            first = article_feedback_record(
                tenant=tenant, article=article, helpful=True, visitor="v", now=now
            )
        [key] = [k for k in cache._cache if "kb-vote:" in str(k)]
        expires_in = cache._expire_info[key] - time.time()

    assert first is True
    assert 12 * 3600 < expires_in <= 12 * 3600 + 61


def test_feedback_counts_again_the_next_day(tenant):
    article = _article(tenant)
    today = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)
    with tenant_context(tenant):
        votes = [
            article_feedback_record(
                tenant=tenant, article=article, helpful=True, visitor="v", now=moment
            )
            for moment in (today, today, today + timedelta(minutes=2))
        ]

    assert votes == [True, False, True]
    assert _counts(tenant, article) == (0, 2, 0)


def test_feedback_stores_nothing_about_the_visitor(tenant, visitor):
    article = _article(tenant)
    with tenant_context(tenant):
        audit_before = AuditLogEntry.objects.count()

    visitor.post(
        _help(tenant, f"articles/{article.slug}/feedback/"),
        {"helpful": True},
        REMOTE_ADDR="198.51.100.77",
        HTTP_USER_AGENT="Visitor-Agent/1.0",
    )

    keys = " ".join(str(key) for key in cache._cache)
    assert "kb-vote:" in keys and "throttle_public_" in keys
    assert "198.51.100.77" not in keys and "Visitor-Agent" not in keys
    with tenant_context(tenant):
        assert AuditLogEntry.objects.count() == audit_before


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "helpful"),
        ({"helpful": "maybe"}, "helpful"),
        ({"helpful": "yes"}, "helpful"),
        ({"helpful": 1}, "helpful"),
        ({"helpful": "1"}, "helpful"),
        ({"helpful": None}, "helpful"),
        ({"helpful": True, "x": 1}, "x"),
    ],
)
def test_bad_feedback_is_400_and_counts_nothing(tenant, visitor, body, field):
    article = _article(tenant)

    response = visitor.post(_help(tenant, f"articles/{article.slug}/feedback/"), body)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert _counts(tenant, article) == (0, 0, 0)


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_feedback_on_a_hidden_article_is_404(tenant, visitor, status):
    article = _article(tenant, status=status)

    response = visitor.post(_help(tenant, f"articles/{article.slug}/feedback/"), {"helpful": True})

    assert response.status_code == 404
    assert _counts(tenant, article) == (0, 0, 0)


def test_feedback_in_a_form_takes_true_and_false(tenant, visitor):
    article = _article(tenant)
    url = _help(tenant, f"articles/{article.slug}/feedback/")

    voted = visitor.post(url, {"helpful": "false"}, format="multipart")
    refused = visitor.post(url, {"helpful": "on"}, format="multipart", REMOTE_ADDR="192.0.2.1")

    assert (voted.status_code, refused.status_code) == (202, 400)
    assert _counts(tenant, article) == (0, 0, 1)


# --- Requests ---------------------------------------------------------------------------------

REQUEST = {
    "email": "Ann@Example.test",
    "name": "Ann",
    "subject": "Printer jammed",
    "description": "It jams on page two.",
}


def _tickets(tenant):
    with tenant_context(tenant):
        return list(
            Ticket.objects.values_list(
                "requester__email", "requester__name", "subject", "description", "channel"
            )
        )


def test_a_request_opens_a_web_ticket_for_a_new_customer(tenant, other_tenant, visitor):
    response = visitor.post(_help(tenant, "requests/"), REQUEST)

    assert response.status_code == 202
    assert _tickets(tenant) == [
        ("ann@example.test", "Ann", "Printer jammed", "It jams on page two.", "web")
    ]
    assert _tickets(other_tenant) == []


def test_a_known_customer_gets_the_same_answer_and_keeps_their_name(tenant, visitor):
    with tenant_context(tenant):
        Customer.objects.create(tenant=tenant, email="ann@example.test", name="Ann Real")

    known = visitor.post(_help(tenant, "requests/"), {**REQUEST, "name": "Mallory"})
    new = visitor.post(_help(tenant, "requests/"), {**REQUEST, "email": "new@example.test"})

    assert (known.status_code, known.content) == (new.status_code, new.content)
    with tenant_context(tenant):
        assert Customer.objects.get(email="ann@example.test").name == "Ann Real"
        assert Customer.objects.count() == 2


def test_a_filled_honeypot_is_answered_alike_and_dropped(tenant, visitor):
    real = visitor.post(_help(tenant, "requests/"), {**REQUEST, "email": "real@example.test"})
    bot = visitor.post(_help(tenant, "requests/"), {**REQUEST, "website": "http://spam.test"})

    assert (bot.status_code, bot.content) == (real.status_code, real.content)
    assert [row[0] for row in _tickets(tenant)] == ["real@example.test"]


def test_a_request_whose_transaction_failed_can_be_sent_again(tenant):
    with tenant_context(tenant):
        try:
            with transaction.atomic():
                help_request_submit(tenant=tenant, actor=SYSTEM, **REQUEST)
                raise RuntimeError("the request failed after the ticket")
        except RuntimeError:
            pass
        again = help_request_submit(tenant=tenant, actor=SYSTEM, **REQUEST)

    assert again is not None
    assert len(_tickets(tenant)) == 1


def test_the_same_request_after_ten_minutes_opens_another_ticket(tenant):
    later = datetime.now(UTC) + timedelta(minutes=11)
    with tenant_context(tenant):
        first = help_request_submit(tenant=tenant, actor=SYSTEM, **REQUEST)
        soon = help_request_submit(tenant=tenant, actor=SYSTEM, **REQUEST)
        late = help_request_submit(tenant=tenant, actor=SYSTEM, now=later, **REQUEST)

    assert (first is not None, soon, late is not None) == (True, None, True)
    assert len(_tickets(tenant)) == 2


def test_the_same_request_twice_opens_one_ticket(tenant, visitor):
    first = visitor.post(_help(tenant, "requests/"), REQUEST)
    again = visitor.post(_help(tenant, "requests/"), REQUEST)
    other = visitor.post(_help(tenant, "requests/"), {**REQUEST, "subject": "Another"})

    assert {first.status_code, again.status_code, other.status_code} == {202}
    assert sorted(row[2] for row in _tickets(tenant)) == ["Another", "Printer jammed"]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"subject": ""}, "subject"),
        ({"subject": "x" * 256}, "subject"),
        ({"description": ""}, "description"),
        ({"description": "nul\x00byte"}, "description"),
        ({"priority": "critical"}, "priority"),
        ({"tenant": 1}, "tenant"),
    ],
)
def test_a_bad_request_is_400_with_field_errors_and_opens_nothing(tenant, visitor, change, field):
    response = visitor.post(_help(tenant, "requests/"), {**REQUEST, **change})

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert _tickets(tenant) == []


def test_a_request_is_acknowledged_by_email_to_the_customer(
    tenant, visitor, django_capture_on_commit_callbacks
):
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        visitor.post(_help(tenant, "requests/"), REQUEST)

    [receipt] = mail.outbox
    assert receipt.to == ["ann@example.test"]
    # Anyone can name anyone's address: the receipt repeats none of the visitor's words.
    assert receipt.subject.endswith("We received your request")
    html = receipt.alternatives[0][0]
    for text in (receipt.subject, receipt.body, html):
        assert "Printer jammed" not in text and "Ann" not in text
    assert "If you did not send this request" in receipt.body


def test_a_honeypot_request_sends_no_email(tenant, visitor, django_capture_on_commit_callbacks):
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        visitor.post(_help(tenant, "requests/"), {**REQUEST, "website": "x"})

    assert mail.outbox == []


# --- Quotas -----------------------------------------------------------------------------------


def test_requests_are_throttled_per_visitor_per_tenant(tenant, other_tenant, visitor):
    with _rates(help_request="2/hour"):
        answers = [
            visitor.post(_help(tenant, "requests/"), {**REQUEST, "subject": f"Q{i}"})
            for i in range(3)
        ]
        elsewhere = visitor.post(_help(other_tenant, "requests/"), REQUEST)
        other_visitor = APIClient(REMOTE_ADDR="203.0.113.5").post(
            _help(tenant, "requests/"), REQUEST
        )
        reads = visitor.get(_help(tenant, "articles/"))

    assert [a.status_code for a in answers] == [202, 202, 429]
    assert int(answers[2]["Retry-After"]) > 0
    assert (elsewhere.status_code, other_visitor.status_code, reads.status_code) == (
        202,
        202,
        200,
    )
    assert len(_tickets(tenant)) == 3


def test_requests_are_throttled_per_visitor_across_tenants(tenant, other_tenant, visitor):
    with _rates(help_request_address="2/hour"):
        statuses = [
            visitor.post(_help(t, "requests/"), {**REQUEST, "subject": f"Q{i}"}).status_code
            for i, t in enumerate([tenant, other_tenant, other_tenant])
        ]
        unknown = visitor.post("/api/v1/help/no-such-tenant/requests/", REQUEST)

    assert statuses == [202, 202, 429]
    assert unknown.status_code == 429  # counted before the tenant is looked up


def test_an_ipv6_visitor_is_throttled_by_its_64(tenant):
    with _rates(help_request="2/hour"):
        statuses = [
            APIClient(REMOTE_ADDR=f"2001:db8:7:7::{i}")
            .post(_help(tenant, "requests/"), {**REQUEST, "subject": f"Q{i}"})
            .status_code
            for i in range(1, 4)
        ]
        elsewhere = APIClient(REMOTE_ADDR="2001:db8:7:8::1").post(
            _help(tenant, "requests/"), REQUEST
        )

    assert statuses == [202, 202, 429]
    assert elsewhere.status_code == 202


def test_requests_naming_one_address_are_throttled_whoever_sends_them(
    tenant, other_tenant, visitor
):
    with _rates(help_request_recipient="2/hour"):
        statuses = [
            APIClient(REMOTE_ADDR=f"198.51.100.{i}")
            .post(_help(t, "requests/"), {**REQUEST, "email": "Victim@Example.test"})
            .status_code
            for i, t in enumerate([tenant, other_tenant, tenant], start=1)
        ]
        other_address = visitor.post(_help(tenant, "requests/"), REQUEST)

    assert statuses == [202, 202, 429]
    assert other_address.status_code == 202
    assert len(_tickets(tenant)) == 2


def test_a_method_the_route_does_not_serve_uses_up_no_quota(tenant, visitor):
    with _rates(help_request="1/hour"):
        refused = [visitor.put(_help(tenant, "requests/"), REQUEST).status_code for _ in range(3)]
        posted = visitor.post(_help(tenant, "requests/"), REQUEST)

    assert refused == [405, 405, 405]
    assert posted.status_code == 202


def test_feedback_is_throttled_per_visitor(tenant, visitor):
    articles = [_article(tenant) for _ in range(3)]
    with _rates(help_feedback="2/hour"):
        statuses = [
            visitor.post(
                _help(tenant, f"articles/{a.slug}/feedback/"), {"helpful": True}
            ).status_code
            for a in articles
        ]

    assert statuses == [202, 202, 429]
    assert [_counts(tenant, a)[1] for a in articles] == [1, 1, 0]


def test_reads_are_throttled_by_the_public_rate(tenant, visitor):
    with _rates(public="2/min"):
        statuses = [visitor.get(_help(tenant, "articles/")).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


# --- Query counts -----------------------------------------------------------------------------

# The tenant lookup, its context (two SET LOCALs), savepoint and release, and one query of
# articles with their categories.
QUERIES_PER_HELP_ARTICLE_PAGE = 6


@pytest.mark.parametrize("count", [1, 20])
def test_the_article_list_costs_the_same_whatever_its_length(
    tenant, visitor, count, django_assert_num_queries
):
    with tenant_context(tenant):
        category = category_recipe.make(tenant=tenant)
    for _ in range(count):
        _article(tenant, category=category)

    with django_assert_num_queries(QUERIES_PER_HELP_ARTICLE_PAGE):
        response = visitor.get(_help(tenant, "articles/"), {"page_size": 100})

    assert len(response.json()["results"]) == count


@pytest.mark.parametrize("count", [1, 10])
def test_the_category_list_costs_one_query_whatever_its_length(
    tenant, visitor, count, django_assert_num_queries
):
    with tenant_context(tenant):
        categories = category_recipe.make(tenant=tenant, _quantity=count)
    for category in categories:
        _article(tenant, category=category)

    with django_assert_num_queries(QUERIES_PER_HELP_ARTICLE_PAGE):
        response = visitor.get(_help(tenant, "categories/"))

    assert len(response.json()["results"]) == count


# --- The browsable API ------------------------------------------------------------------------


def test_the_help_center_renders_in_a_browser(tenant, visitor):
    article = _article(tenant, title="Reset a password")

    page = visitor.get(_help(tenant, f"articles/{article.slug}/"), HTTP_ACCEPT="text/html")
    form = visitor.get(_help(tenant, "requests/"), HTTP_ACCEPT="text/html")

    assert page.status_code == 200 and b"Reset a password" in page.content
    assert form.status_code == 405 and b"<form" in form.content
    # The HTML page carries a CSRF token: never stored by a shared cache, never revalidated.
    assert page["Cache-Control"] == "no-store" and not page.has_header("ETag")
    etag = visitor.get(_help(tenant, f"articles/{article.slug}/"))["ETag"]
    html_again = visitor.get(
        _help(tenant, f"articles/{article.slug}/"), HTTP_ACCEPT="text/html", HTTP_IF_NONE_MATCH=etag
    )
    assert html_again.status_code == 200
