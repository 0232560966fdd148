"""Recipes for the knowledge base's rows. Make tenant rows inside tenant_context(tenant) and
pass tenant=…; they are written straight to the tables (no rendering, no audit): tests of the
behaviour go through knowledge_base.services, the cross-cutting matrices use these."""

from model_bakery.recipe import Recipe, foreign_key, seq

from knowledge_base.models import Article, ArticleRevision, ArticleSlug, Category

category_recipe = Recipe(Category, name=seq("Category "), slug=seq("category-"), position=seq(0))
article_recipe = Recipe(
    Article,
    title=seq("Article "),
    slug=seq("article-"),
    body="Some *help*.",
    body_html="<p>Some <em>help</em>.</p>",
    tags=lambda: ["help"],
)
article_slug_recipe = Recipe(
    ArticleSlug, article=foreign_key(article_recipe), slug=seq("old-article-")
)
article_revision_recipe = Recipe(
    ArticleRevision,
    article=foreign_key(article_recipe),
    title=seq("Earlier "),
    slug=seq("earlier-"),
    body="Earlier text.",
    article_version=1,
)
