"""Routes of the public help center (mounted under /api/v1/help/<tenant_slug>/; no
authentication): the root, categories/, articles/ (?category=), articles/<article-slug>/,
articles/<article-slug>/feedback/, search/?q=, requests/."""

from django.urls import path

from knowledge_base.api import help_views as views

urlpatterns = [
    path("", views.HelpCenterApi.as_view(), name="help-center"),
    path("categories/", views.HelpCategoryListApi.as_view(), name="help-categories"),
    path("articles/", views.HelpArticleListApi.as_view(), name="help-articles"),
    path(
        "articles/<slug:article_slug>/",
        views.HelpArticleApi.as_view(),
        name="help-article",
    ),
    path(
        "articles/<slug:article_slug>/feedback/",
        views.HelpArticleFeedbackApi.as_view(),
        name="help-article-feedback",
    ),
    path("search/", views.HelpSearchApi.as_view(), name="help-search"),
    path("requests/", views.HelpRequestApi.as_view(), name="help-requests"),
]
