import pytest
from django.contrib.messages import get_messages

from knowledge_base.models import Article, Category
from tenants.context import tenant_context
from tenants.models import AuditLogEntry, Role
from tests.knowledge_base.recipes import article_recipe, category_recipe

ARTICLES = "/admin/knowledge_base/article/"
CATEGORIES = "/admin/knowledge_base/category/"


@pytest.fixture
def login(client, member):
    def make(role):
        client.force_login(member(role).user)
        return client

    return make


def test_an_agent_adds_an_article_through_the_service(login, tenant):
    response = login(Role.SUPERVISOR).post(
        f"{ARTICLES}add/",
        {"title": "Reset", "slug": "reset", "body": "**hi**\n\n<script>x</script>", "tags": "a,b"},
    )

    with tenant_context(tenant):
        article = Article.objects.get()
        actions = list(AuditLogEntry.objects.values_list("action", flat=True))
    assert response.status_code == 302
    assert (article.body_html, article.tags) == ("<p><strong>hi</strong></p>\n", ["a", "b"])
    assert actions == ["kb_article.created"]


def test_the_change_page_previews_the_sanitized_html_of_this_tenant_only(
    login, tenant, other_tenant
):
    with tenant_context(tenant):
        article = article_recipe.make(tenant=tenant, body_html="<p>Shown <em>here</em></p>")
    with tenant_context(other_tenant):
        foreign = article_recipe.make(tenant=other_tenant, title="Theirs")
    client = login(Role.SUPERVISOR)

    page = client.get(f"{ARTICLES}{article.public_id}/change/")
    listed = client.get(ARTICLES).content.decode()
    theirs = client.get(f"{ARTICLES}{foreign.public_id}/change/")

    assert '<div class="kb-preview"><p>Shown <em>here</em></p></div>' in page.content.decode()
    assert "Theirs" not in listed
    assert theirs.status_code == 302  # Django's "does not exist" redirect to the admin index


def test_deleting_a_category_with_articles_is_refused_with_a_message(login, tenant):
    with tenant_context(tenant):
        category = category_recipe.make(tenant=tenant)
        article_recipe.make(tenant=tenant, category=category)

    login(Role.SUPERVISOR).post(f"{CATEGORIES}{category.public_id}/delete/", {"post": "yes"})

    with tenant_context(tenant):
        assert Category.objects.filter(pk=category.pk).exists()


def test_the_publish_action_goes_through_the_service(login, tenant):
    with tenant_context(tenant):
        article = article_recipe.make(tenant=tenant)

    login(Role.SUPERVISOR).post(
        ARTICLES, {"action": "publish_selected", "_selected_action": [article.pk]}
    )

    with tenant_context(tenant):
        article.refresh_from_db()
        actions = list(AuditLogEntry.objects.values_list("action", flat=True))
    assert article.status == "published"
    assert actions == ["kb_article.published"]


def test_save_and_continue_after_adding_goes_to_the_public_id_url(login, tenant):
    response = login(Role.SUPERVISOR).post(
        f"{CATEGORIES}add/",
        {"name": "Billing", "slug": "billing", "position": 0, "description": "", "_continue": "1"},
    )

    with tenant_context(tenant):
        category = Category.objects.get(slug="billing")
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert response.status_code == 302
    assert response.url == f"{CATEGORIES}{category.public_id}/change/"
    assert f'href="{CATEGORIES}{category.public_id}/change/"' in message
