"""Routes of the knowledge base (mounted under /api/v1/t/<tenant_slug>/).

kb/categories/ (list, add), kb/categories/<id>/ (read, change, delete); kb/articles/ (list,
add), kb/articles/<id>/ (read, change, delete), kb/articles/<id>/publish/, …/archive/,
…/revisions/, …/revisions/<revision_id>/, …/revisions/<revision_id>/restore/.
"""

from rest_framework.routers import SimpleRouter

from knowledge_base.api import views

router = SimpleRouter()
router.register("kb/categories", views.CategoryViewSet, basename="kb-category")
router.register("kb/articles", views.ArticleViewSet, basename="kb-article")

urlpatterns = router.urls
