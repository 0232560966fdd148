from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from knowledge_base.models import Article
from tenants.context import tenant_context
from tenants.models import Tenant


def _seed(capture) -> None:
    with capture(execute=True):
        call_command("seed_demo", "--force", stdout=StringIO())
        call_command("seed_demo_kb", "--force", stdout=StringIO())


def test_seed_demo_kb_refuses_with_debug_off_without_force(db):
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo_kb")


def test_the_demo_help_center_shows_the_published_articles_and_reseeding_adds_none(
    db, django_capture_on_commit_callbacks
):
    _seed(django_capture_on_commit_callbacks)
    _seed(django_capture_on_commit_callbacks)

    acme = Tenant.objects.get(slug="acme")
    with tenant_context(acme):
        statuses = sorted(Article.objects.values_list("slug", "status"))
    listed = APIClient().get("/api/v1/help/acme/articles/").json()["results"]

    assert statuses == [
        ("download-an-invoice", "published"),
        ("printer-jams", "published"),
        ("refund-policy", "draft"),
        ("reset-your-password", "published"),
    ]
    assert sorted(a["slug"] for a in listed) == [
        "download-an-invoice",
        "printer-jams",
        "reset-your-password",
    ]
