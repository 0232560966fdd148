"""Routes of the knowledge base (mounted under /api/v1/t/<tenant_slug>/).

kb/categories/ (list, add), kb/categories/<id>/ (read, change, delete); kb/articles/ (list,
add), kb/articles/<id>/ (read, change, delete), kb/articles/<id>/publish/, …/archive/,
…/revisions/, …/revisions/<revision_id>/, …/revisions/<revision_id>/restore/;
kb/search/?q= (search); tickets/<number>/suggestions/ (articles for a ticket: registered
here, so tickets never imports the knowledge base).
"""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from knowledge_base.api import views

router = SimpleRouter()
router.register("kb/categories", views.CategoryViewSet, basename="kb-category")
router.register("kb/articles", views.ArticleViewSet, basename="kb-article")

urlpatterns = [
    path("kb/search/", views.ArticleSearchApi.as_view(), name="kb-search"),
    re_path(
        r"^tickets/(?P<number>[0-9]{1,18})/suggestions/$",
        views.TicketArticleSuggestionsApi.as_view(),
        name="ticket-suggestions",
    ),
    *router.urls,
]
