import pytest
from django.core.exceptions import ValidationError

from config.errors import PreconditionFailedError
from knowledge_base import selectors, services
from knowledge_base.models import Article, ArticleSlug
from knowledge_base.services.articles import ArticleStateError
from knowledge_base.services.categories import CategoryNotEmptyError
from tenants.context import tenant_context
from tests.events import published
from tests.knowledge_base.recipes import category_recipe

pytestmark = pytest.mark.usefixtures("in_alpha")


def _article(tenant, actor, **fields):
    return services.article_create(
        tenant=tenant, actor=actor, title=fields.pop("title", "How to reset"), **fields
    )


def test_create_renders_sanitized_html_and_makes_a_slug(tenant, editor):
    article = _article(tenant, editor, body="Hi <script>x()</script>**there**")

    assert article.slug == "how-to-reset"
    assert article.status == "draft"
    assert article.author == editor.user
    assert article.body_html == "<p>Hi <strong>there</strong></p>\n"


def test_a_second_article_of_the_same_title_gets_a_numbered_slug(tenant, editor):
    _article(tenant, editor)

    second = _article(tenant, editor)

    assert second.slug == "how-to-reset-2"


def test_an_explicit_slug_already_taken_is_refused(tenant, editor):
    _article(tenant, editor, slug="reset")

    with pytest.raises(ValidationError) as caught:
        _article(tenant, editor, title="Other", slug="reset")

    assert set(caught.value.message_dict) == {"slug"}


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "a\x00b"}, "title"),
        ({"body": "\ud800"}, "body"),
        ({"body": "x" * 100_001}, "body"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"tags": "help"}, "tags"),
        ({"tags": ["x" * 51]}, "tags"),
        ({"tags": [""]}, "tags"),
        ({"tags": [str(n) for n in range(21)]}, "tags"),
        ({"excerpt": "x" * 501}, "excerpt"),
    ],
)
def test_bad_input_is_refused_by_the_service(tenant, editor, fields, bad):
    with pytest.raises(ValidationError) as caught:
        _article(tenant, editor, **{"title": "T", **fields})

    assert set(caught.value.message_dict) == {bad}
    assert Article.objects.count() == 0


def test_a_category_of_another_tenant_is_refused(tenant, other_tenant, editor):
    with tenant_context(other_tenant):
        foreign = category_recipe.make(tenant=other_tenant)

    with pytest.raises(ValidationError) as caught:
        _article(tenant, editor, category=foreign)

    assert set(caught.value.message_dict) == {"category"}


def test_editing_a_draft_keeps_no_revision(tenant, editor):
    article = _article(tenant, editor)

    services.article_update(tenant=tenant, actor=editor, article=article, body="New")

    assert selectors.article_revision_list(tenant=tenant, article=article).count() == 0


def test_editing_a_published_article_keeps_the_previous_content(tenant, editor, supervisor):
    article = _article(tenant, editor, body="First", tags=["a"])
    services.article_publish(tenant=tenant, actor=supervisor, article=article)

    updated = services.article_update(
        tenant=tenant, actor=editor, article=article, body="Second", tags=["b"]
    )
    [revision] = selectors.article_revision_list(tenant=tenant, article=article)

    assert updated.status == "published"
    assert updated.body_html == "<p>Second</p>\n"
    assert (revision.body, revision.tags, revision.edited_by) == ("First", ["a"], editor.user)
    assert revision.article_version == 2


def test_a_changed_slug_is_kept_for_redirects_and_can_be_taken_back(tenant, editor, supervisor):
    article = _article(tenant, editor, slug="old")
    services.article_publish(tenant=tenant, actor=supervisor, article=article)

    services.article_update(tenant=tenant, actor=editor, article=article, slug="new")
    old_slugs = list(ArticleSlug.objects.values_list("slug", flat=True))
    services.article_update(tenant=tenant, actor=editor, article=article, slug="old")

    assert old_slugs == ["old"]
    assert list(ArticleSlug.objects.values_list("slug", flat=True)) == ["new"]


def test_another_articles_old_slug_is_not_free(tenant, editor, supervisor):
    first = _article(tenant, editor, slug="old")
    services.article_publish(tenant=tenant, actor=supervisor, article=first)
    services.article_update(tenant=tenant, actor=editor, article=first, slug="new")

    with pytest.raises(ValidationError) as caught:
        _article(tenant, editor, title="Other", slug="old")

    assert set(caught.value.message_dict) == {"slug"}


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_a_slug_changed_while_not_public_is_not_kept(tenant, editor, supervisor, status):
    article = _article(tenant, editor, slug="codename-x")
    if status == "archived":
        services.article_publish(tenant=tenant, actor=supervisor, article=article)
        services.article_update(tenant=tenant, actor=editor, article=article, slug="launch")
        services.article_archive(tenant=tenant, actor=supervisor, article=article)
        article.slug = "launch"

    services.article_update(tenant=tenant, actor=editor, article=article, slug="announcement")
    other = _article(tenant, editor, title="Other", slug=article.slug)

    expected = ["codename-x"] if status == "archived" else []
    assert list(ArticleSlug.objects.values_list("slug", flat=True)) == expected
    assert other.slug == article.slug


def test_publish_archive_publish_again(tenant, editor, supervisor):
    article = _article(tenant, editor)

    with published("article.published") as seen:
        services.article_publish(tenant=tenant, actor=supervisor, article=article)
        services.article_archive(tenant=tenant, actor=supervisor, article=article)
        again = services.article_publish(tenant=tenant, actor=supervisor, article=article)

    assert again.status == "published"
    assert [e.data for e in seen] == [{"id": str(article.public_id), "slug": article.slug}] * 2


@pytest.mark.parametrize("step", ["publish twice", "archive a draft"])
def test_impossible_transitions_conflict(tenant, editor, supervisor, step):
    article = _article(tenant, editor)
    if step == "publish twice":
        services.article_publish(tenant=tenant, actor=supervisor, article=article)

    with pytest.raises(ArticleStateError):
        (services.article_publish if step == "publish twice" else services.article_archive)(
            tenant=tenant, actor=supervisor, article=article
        )


def test_restore_puts_the_revision_back_as_a_draft(tenant, editor, supervisor):
    article = _article(tenant, editor, body="First", slug="first")
    services.article_publish(tenant=tenant, actor=supervisor, article=article)
    services.article_update(
        tenant=tenant, actor=editor, article=article, body="Second", slug="second"
    )
    [revision] = selectors.article_revision_list(tenant=tenant, article=article)

    restored = services.article_revision_restore(
        tenant=tenant, actor=supervisor, article=article, revision=revision
    )

    assert (restored.status, restored.body, restored.slug) == ("draft", "First", "first")
    assert restored.body_html == "<p>First</p>\n"
    assert selectors.article_revision_list(tenant=tenant, article=article).count() == 2
    assert list(ArticleSlug.objects.values_list("slug", flat=True)) == ["second"]


def test_a_stale_version_is_refused(tenant, editor):
    article = _article(tenant, editor)

    with pytest.raises(PreconditionFailedError):
        services.article_update(
            tenant=tenant, actor=editor, article=article, expected_version=7, title="X"
        )


def test_categories_are_one_level_deep(tenant, supervisor):
    top = services.category_create(tenant=tenant, actor=supervisor, name="Billing")
    child = services.category_create(tenant=tenant, actor=supervisor, name="Cards", parent=top)

    with pytest.raises(ValidationError) as caught:
        services.category_create(tenant=tenant, actor=supervisor, name="Visa", parent=child)
    with pytest.raises(ValidationError) as made_child:
        services.category_update(tenant=tenant, actor=supervisor, category=top, parent=child)

    assert (top.slug, child.parent) == ("billing", top)
    assert set(caught.value.message_dict) == {"parent"}
    assert set(made_child.value.message_dict) == {"parent"}


def test_a_category_holding_articles_cannot_be_deleted(tenant, editor, supervisor):
    category = services.category_create(tenant=tenant, actor=supervisor, name="Billing")
    _article(tenant, editor, category=category)

    with pytest.raises(CategoryNotEmptyError):
        services.category_delete(tenant=tenant, actor=supervisor, category=category)


def test_an_empty_category_is_deleted(tenant, supervisor):
    category = services.category_create(tenant=tenant, actor=supervisor, name="Billing")

    services.category_delete(tenant=tenant, actor=supervisor, category=category)

    assert selectors.category_list(tenant=tenant).count() == 0


def test_restore_files_into_the_old_category_only_while_it_exists(tenant, editor, supervisor):
    kept = services.category_create(tenant=tenant, actor=supervisor, name="Kept")
    gone = services.category_create(tenant=tenant, actor=supervisor, name="Gone")
    first = _article(tenant, editor, title="First", category=kept)
    second = _article(tenant, editor, title="Second", category=gone)
    for article in (first, second):
        services.article_publish(tenant=tenant, actor=supervisor, article=article)
        services.article_update(tenant=tenant, actor=editor, article=article, category=None)
    services.category_delete(tenant=tenant, actor=supervisor, category=gone)

    restored = [
        services.article_revision_restore(
            tenant=tenant,
            actor=supervisor,
            article=article,
            revision=selectors.article_revision_list(tenant=tenant, article=article).get(),
        )
        for article in (first, second)
    ]

    assert [article.category for article in restored] == [kept, None]


def test_a_second_category_of_the_same_name_gets_a_numbered_slug(tenant, supervisor):
    services.category_create(tenant=tenant, actor=supervisor, name="Billing")

    second = services.category_create(tenant=tenant, actor=supervisor, name="Billing")

    assert second.slug == "billing-2"
