"""Every write of the knowledge base (categories, articles, revisions) goes through here."""

from knowledge_base.services.articles import (
    article_archive,
    article_create,
    article_delete,
    article_get_for_update,
    article_publish,
    article_revision_restore,
    article_update,
)
from knowledge_base.services.categories import (
    category_create,
    category_delete,
    category_get_for_update,
    category_update,
)

__all__ = [
    "article_archive",
    "article_create",
    "article_delete",
    "article_get_for_update",
    "article_publish",
    "article_revision_restore",
    "article_update",
    "category_create",
    "category_delete",
    "category_get_for_update",
    "category_update",
]
