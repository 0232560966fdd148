"""The knowledge base's event contracts."""

from dataclasses import dataclass

from tenants.events import Event, payload, register


@register
@dataclass(frozen=True)
class ArticlePublished(Event):
    type = "article.published"
    description = "A knowledge-base article was published (or re-published after an edit)."

    id: str = payload("The article's id.")
    slug: str = payload("The article's slug in the help center.")


__all__ = ["ArticlePublished"]
