"""The knowledge base's routes under /api/v1/t/<slug>/, one row per (url name, method): the
permission matrix and the isolation matrix read them. Format: tests/route_table.py.

The expected statuses are written by hand from DESIGN.md §4 (read the KB, drafts included:
viewer+; write drafts: agent+; publish/archive/restore and categories: supervisor+; delete
articles: admin+), never derived from tenants.permissions.

World names (tests/knowledge_base/worlds.py): kb_category (empty), kb_article (published,
with kb_revision), kb_draft.
"""

from tests.route_table import Endpoint, Route

category_list = Endpoint(
    "kb-category-list",
    "kb/categories/",
    body={"name": "New shelf", "position": 3},
    attack_body={"name": "Planted", "slug": "planted"},
)
category_detail = Endpoint(
    "kb-category-detail",
    "kb/categories/{kb_category.public_id}/",
    body={"name": "Renamed", "description": "Now with words"},
    attack_body={"name": "Hijacked", "slug": "hijacked"},
)
article_list = Endpoint(
    "kb-article-list",
    "kb/articles/",
    body={"title": "New article", "body": "Some **help**.", "tags": ["new"]},
    attack_body={"title": "Planted", "body": "<script>x</script>"},
)
article_detail = Endpoint(
    "kb-article-detail",
    "kb/articles/{kb_article.public_id}/",
    body={"title": "Renamed", "tags": ["renamed"]},
    attack_body={"title": "Hijacked", "body": "Hijacked"},
)
article_publish = Endpoint("kb-article-publish", "kb/articles/{kb_draft.public_id}/publish/")
article_archive = Endpoint("kb-article-archive", "kb/articles/{kb_article.public_id}/archive/")
article_revisions = Endpoint(
    "kb-article-revisions", "kb/articles/{kb_article.public_id}/revisions/"
)
article_revision = Endpoint(
    "kb-article-revision",
    "kb/articles/{kb_article.public_id}/revisions/{kb_revision.public_id}/",
)
article_restore = Endpoint(
    "kb-article-restore",
    "kb/articles/{kb_article.public_id}/revisions/{kb_revision.public_id}/restore/",
)
search = Endpoint("kb-search", "kb/search/")
ticket_suggestions = Endpoint("ticket-suggestions", "tickets/{ticket.number}/suggestions/")

# The public help center, under /api/v1/help/<slug>/: no member credential counts there, so
# every caller gets what an anonymous visitor gets (its own tests: test_help_center.py).
help_center = Endpoint("help-center", "", mount="help")
help_categories = Endpoint("help-categories", "categories/", mount="help")
help_articles = Endpoint("help-articles", "articles/", mount="help")
help_article = Endpoint("help-article", "articles/{kb_article.slug}/", mount="help")
help_feedback = Endpoint(
    "help-article-feedback",
    "articles/{kb_article.slug}/feedback/",
    body={"helpful": True},
    attack_body={"helpful": False},
    mount="help",
)
help_search = Endpoint("help-search", "search/", mount="help")
help_requests = Endpoint(
    "help-requests",
    "requests/",
    body={"email": "visitor@example.test", "subject": "Help", "description": "Please."},
    # The honeypot filled: answered like any request, and nothing is written.
    attack_body={
        "email": "bot@example.test",
        "subject": "Buy",
        "description": "Spam",
        "website": "http://spam.test",
    },
    mount="help",
)

# row(method, isolation kind, statuses for: owner, admin, supervisor, agent, viewer,
#     key-admin, key-viewer, non-member, anonymous)
ROUTES: list[Route] = [
    category_list.row("GET",     "list",     (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    category_list.row("POST",    "create",   (201, 201, 201, 403, 403, 201, 403, 404, 401)),
    category_list.row("HEAD",    "list",     (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    category_list.row("OPTIONS", "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    category_detail.row("GET",     "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    category_detail.row("PATCH",   "object",   (200, 200, 200, 403, 403, 200, 403, 404, 401)),
    category_detail.row("DELETE",  "object",   (204, 204, 204, 403, 403, 204, 403, 404, 401)),
    category_detail.row("HEAD",    "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    category_detail.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    article_list.row("GET",     "list",     (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    article_list.row("POST",    "create",   (201, 201, 201, 201, 403, 201, 403, 404, 401)),
    article_list.row("HEAD",    "list",     (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    article_list.row("OPTIONS", "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    article_detail.row("GET",     "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    article_detail.row("PATCH",   "object",   (200, 200, 200, 200, 403, 200, 403, 404, 401)),
    article_detail.row("DELETE",  "object",   (204, 204, 403, 403, 403, 204, 403, 404, 401)),
    article_detail.row("HEAD",    "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    article_detail.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    article_publish.row("POST",    "object",   (200, 200, 200, 403, 403, 200, 403, 404, 401)),
    article_publish.row("HEAD",    "describe", (405, 405, 405, 405, 405, 405, 405, 404, 401)),
    article_publish.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    article_archive.row("POST",    "object",   (200, 200, 200, 403, 403, 200, 403, 404, 401)),
    article_archive.row("HEAD",    "describe", (405, 405, 405, 405, 405, 405, 405, 404, 401)),
    article_archive.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    article_revisions.row("GET",     "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    article_revisions.row("HEAD",    "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    article_revisions.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    article_revision.row("GET",     "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    article_revision.row("HEAD",    "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    article_revision.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    article_restore.row("POST",    "object",   (200, 200, 200, 403, 403, 200, 403, 404, 401)),
    article_restore.row("HEAD",    "describe", (405, 405, 405, 405, 405, 405, 405, 404, 401)),
    article_restore.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    search.row("GET",     "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    search.row("HEAD",    "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    search.row("OPTIONS", "tenant",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    ticket_suggestions.row("GET",     "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    ticket_suggestions.row("HEAD",    "object",   (200, 200, 200, 200, 200, 200, 200, 404, 401)),
    ticket_suggestions.row("OPTIONS", "describe", (200, 200, 200, 200, 200, 200, 200, 404, 401)),

    help_center.row("GET",     "public",   (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    help_center.row("HEAD",    "public",   (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    help_center.row("OPTIONS", "public",   (200, 200, 200, 200, 200, 200, 200, 200, 200)),

    help_categories.row("GET",     "public",   (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    help_categories.row("HEAD",    "public",   (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    help_categories.row("OPTIONS", "public",   (200, 200, 200, 200, 200, 200, 200, 200, 200)),

    help_articles.row("GET",     "public",   (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    help_articles.row("HEAD",    "public",   (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    help_articles.row("OPTIONS", "public",   (200, 200, 200, 200, 200, 200, 200, 200, 200)),

    help_article.row("GET",     "public",   (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    help_article.row("HEAD",    "public",   (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    help_article.row("OPTIONS", "public",   (200, 200, 200, 200, 200, 200, 200, 200, 200)),

    help_feedback.row("POST",    "public",   (202, 202, 202, 202, 202, 202, 202, 202, 202)),
    help_feedback.row("HEAD",    "public",   (405, 405, 405, 405, 405, 405, 405, 405, 405)),
    help_feedback.row("OPTIONS", "public",   (200, 200, 200, 200, 200, 200, 200, 200, 200)),

    help_search.row("GET",     "public",   (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    help_search.row("HEAD",    "public",   (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    help_search.row("OPTIONS", "public",   (200, 200, 200, 200, 200, 200, 200, 200, 200)),

    help_requests.row("POST",    "public",   (202, 202, 202, 202, 202, 202, 202, 202, 202)),
    help_requests.row("HEAD",    "public",   (405, 405, 405, 405, 405, 405, 405, 405, 405)),
    help_requests.row("OPTIONS", "public",   (200, 200, 200, 200, 200, 200, 200, 200, 200)),
]  # fmt: skip
