"""Races of the knowledge-base routes (test_write_routes.py's HARNESS): a category or article
changed while it is deleted, two deletions, two creations of one slug, an article filed into a
category while the category is deleted, publish against archive, two restores at once."""

import json

from rest_framework.test import APIClient

from knowledge_base import services
from knowledge_base.models import Article, ArticleRevision, ArticleSlug, Category
from tests.races.race_harness import Harness, Race, exactly_one, one_wins
from tickets.models import Customer, Ticket


def _category(h: Harness, name: str = "Shelf") -> Category:
    h.round += 1
    return h.within(
        lambda: services.category_create(
            tenant=h.tenant, actor=h.actor, name=name, slug=f"shelf-{h.round}"
        )
    )


def _article(h: Harness, *, category=None, published: bool = False) -> Article:
    h.round += 1

    def make():
        article = services.article_create(
            tenant=h.tenant,
            actor=h.actor,
            title="Reset a password",
            slug=f"reset-{h.round}",
            body="First",
            category=category,
        )
        if published:
            article = services.article_publish(tenant=h.tenant, actor=h.actor, article=article)
        return article

    return h.within(make)


def _no_orphans(h: Harness) -> None:
    def orphans():
        articles = Article.objects.values("pk")
        return (
            ArticleRevision.objects.exclude(article__in=articles).count()
            + ArticleSlug.objects.exclude(article__in=articles).count()
            + Article.objects.exclude(category=None)
            .exclude(category__in=Category.objects.values("pk"))
            .count()
        )

    assert h.within(orphans) == 0


def _category_create(h: Harness) -> Race:
    """Two creations of one slug: exactly one 201, the other a 400 on `slug` (never a 500)."""
    h.round += 1
    url, body = f"{h.base}/kb/categories/", {"name": "Billing", "slug": f"billing-{h.round}"}

    def check(write, competitor):
        exactly_one(201)(write, competitor)
        assert h.within(lambda: Category.objects.filter(slug=body["slug"]).count()) == 1

    return Race(write=h.send("POST", url, body), competitor=h.send("POST", url, body), check=check)


def _category_patch(h: Harness) -> Race:
    """A PATCH while the category is deleted: 200 before, 404 after; never resurrected."""
    category = _category(h)
    url = f"{h.base}/kb/categories/{category.public_id}/"

    def check(write, competitor):
        assert not h.within(lambda: Category.objects.filter(pk=category.pk).exists())

    return Race(write=h.send("PATCH", url, {"name": "Renamed"}), competitor=h.delete(url),
                check=check)  # fmt: skip


def _category_delete(h: Harness) -> Race:
    category = _category(h)
    url = f"{h.base}/kb/categories/{category.public_id}/"
    return Race(write=h.delete(url), competitor=h.delete(url), check=exactly_one(204))


def _article_create(h: Harness) -> Race:
    """An article filed into a category while the category is deleted: either the article
    lands (and the delete is a 409) or the category goes (and the article is a 400)."""
    category = _category(h)
    body = {"title": "Filed", "category": str(category.public_id)}

    def check(write, competitor):
        one_wins(201, 204)(write, competitor)
        _no_orphans(h)

    return Race(
        write=h.send("POST", f"{h.base}/kb/articles/", body),
        competitor=h.delete(f"{h.base}/kb/categories/{category.public_id}/"),
        check=check,
    )


def _article_patch(h: Harness) -> Race:
    """A PATCH of a published article while it is deleted: no revision or slug left behind."""
    article = _article(h, published=True)
    url = f"{h.base}/kb/articles/{article.public_id}/"

    def check(write, competitor):
        assert not h.within(lambda: Article.objects.filter(pk=article.pk).exists())
        _no_orphans(h)

    return Race(
        write=h.send("PATCH", url, {"body": "Second", "slug": f"moved-{h.round}"}),
        competitor=h.delete(url),
        check=check,
    )


def _article_delete(h: Harness) -> Race:
    article = _article(h, published=True)
    url = f"{h.base}/kb/articles/{article.public_id}/"

    def check(write, competitor):
        exactly_one(204)(write, competitor)
        _no_orphans(h)

    return Race(write=h.delete(url), competitor=h.delete(url), check=check)


def _article_publish(h: Harness) -> Race:
    """Publishing a draft while it is deleted."""
    article = _article(h)
    url = f"{h.base}/kb/articles/{article.public_id}/"

    def check(write, competitor):
        assert not h.within(lambda: Article.objects.filter(pk=article.pk).exists())

    return Race(write=h.send("POST", f"{url}publish/"), competitor=h.delete(url), check=check)


def _article_archive(h: Harness) -> Race:
    """Archive against publish of a published article: the archive always lands; the publish
    is a 409 before it, a re-publish after it. The final status says which came last."""
    article = _article(h, published=True)
    url = f"{h.base}/kb/articles/{article.public_id}/"

    def check(write, competitor):
        final = h.within(lambda: Article.objects.get(pk=article.pk).status)
        assert final == ("published" if competitor == 200 else "archived")

    return Race(
        write=h.send("POST", f"{url}archive/"),
        competitor=h.send("POST", f"{url}publish/"),
        check=check,
    )


def _article_restore(h: Harness) -> Race:
    """Two restores of one revision at once: both land, in turn; the content replaced while
    published is kept once (the second restore meets a draft)."""
    article = _article(h, published=True)
    h.within(
        lambda: services.article_update(
            tenant=h.tenant, actor=h.actor, article=article, body="Second"
        )
    )
    revision = h.within(lambda: ArticleRevision.objects.get(article=article))
    url = f"{h.base}/kb/articles/{article.public_id}/revisions/{revision.public_id}/restore/"

    def check(write, competitor):
        restored = h.within(lambda: Article.objects.get(pk=article.pk))
        revisions = h.within(lambda: ArticleRevision.objects.filter(article=article).count())
        assert (restored.status, restored.body, restored.version) == ("draft", "First", 5)
        assert revisions == 2

    return Race(write=h.send("POST", url), competitor=h.send("POST", url), check=check)


# --- The public help center: anonymous visitors -------------------------------------------------


def _visitor(url: str, body: dict):
    client = APIClient()  # no credentials: the help center is public
    return lambda: client.generic("POST", url, json.dumps(body), "application/json")


def _help_feedback(h: Harness) -> Race:
    """The same visitor's vote sent twice at once: both answered alike, counted once."""
    article = _article(h, published=True)
    url = f"/api/v1/help/{h.tenant.slug}/articles/{article.slug}/feedback/"

    def counted_once(write, competitor):
        counts = h.within(
            lambda: Article.objects.values_list("helpful_count", "not_helpful_count").get(
                pk=article.pk
            )
        )
        assert counts == (1, 0)

    return Race(
        write=_visitor(url, {"helpful": True}),
        competitor=_visitor(url, {"helpful": True}),
        check=counted_once,
    )


def _help_request(h: Harness) -> Race:
    """The same request submitted twice at once (a double click): one customer, one ticket."""
    h.round += 1
    email = f"visitor{h.round}@example.test"
    body = {"email": email, "subject": "Printer jammed", "description": "It jams."}
    url = f"/api/v1/help/{h.tenant.slug}/requests/"

    def opened_once(write, competitor):
        def counts():
            return (
                Customer.objects.filter(email=email).count(),
                Ticket.objects.filter(requester__email=email, channel="web").count(),
            )

        assert h.within(counts) == (1, 1)

    return Race(write=_visitor(url, body), competitor=_visitor(url, body), check=opened_once)
