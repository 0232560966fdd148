import json

import pytest

from knowledge_base.models import Article, ArticleSlug
from tenants.context import tenant_context
from tenants.models import Role
from tests.errors import field_errors
from tests.knowledge_base.recipes import article_recipe, category_recipe


@pytest.fixture
def agent(member, api_client):
    return api_client(member(Role.AGENT))


@pytest.fixture
def boss(member, api_client):
    return api_client(member(Role.SUPERVISOR))


def _url(tenant, rest=""):
    return f"/api/v1/t/{tenant.slug}/kb/{rest}"


def _create(client, tenant, /, **fields):
    body = {"title": "Reset a password", "body": "Go to **settings**.", **fields}
    # json.dumps escapes lone surrogates (\\ud800), as a real client's JSON would carry them.
    return client.generic("POST", _url(tenant, "articles/"), json.dumps(body), "application/json")


def test_create_answers_the_rendered_article_with_an_etag(tenant, agent):
    response = _create(agent, tenant, body="<img src=x onerror=alert(1)> [x](javascript:y)")
    body = response.json()

    assert response.status_code == 201
    assert response["ETag"] == '"1"'
    assert (body["slug"], body["status"], body["version"]) == ("reset-a-password", "draft", 1)
    assert "onerror" not in body["body_html"]
    assert "href" not in body["body_html"]


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"title": "a\x00b"}, "title"),
        ({"body": "x\x00"}, "body"),
        ({"title": "x" * 201}, "title"),
        ({"body": "x" * 100_001}, "body"),
        ({"excerpt": "x" * 501}, "excerpt"),
        ({"slug": "not a slug"}, "slug"),
        ({"tags": ["x" * 51]}, "tags"),
        ({"tags": "help"}, "tags"),
        ({"category": "00000000-0000-0000-0000-000000000000"}, "category"),
        ({"status": "published"}, "status"),
        ({"tenant": 1}, "tenant"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(tenant, agent, fields, bad):
    response = _create(agent, tenant, **fields)

    assert set(field_errors(response)) == {bad}


def test_a_lone_surrogate_is_refused_by_the_parser(tenant, agent):
    response = _create(agent, tenant, title="\ud800")

    assert (response.status_code, response.json()["code"]) == (400, "parse_error")


def test_a_category_of_another_tenant_is_a_400(tenant, other_tenant, agent):
    with tenant_context(other_tenant):
        foreign = category_recipe.make(tenant=other_tenant)

    response = _create(agent, tenant, category=str(foreign.public_id))

    assert set(field_errors(response)) == {"category"}


def test_a_taken_slug_is_a_400(tenant, agent):
    _create(agent, tenant, slug="reset")

    response = _create(agent, tenant, title="Other", slug="reset")

    assert set(field_errors(response)) == {"slug"}


def test_a_stale_if_match_is_a_412_and_changes_nothing(tenant, agent):
    article = _create(agent, tenant).json()
    url = _url(tenant, f"articles/{article['id']}/")

    stale = agent.patch(url, {"title": "X"}, format="json", HTTP_IF_MATCH='"7"')
    fresh = agent.patch(url, {"title": "Y"}, format="json", HTTP_IF_MATCH='"1"')
    delete = agent.delete(url, HTTP_IF_MATCH='"1"')

    assert stale.status_code == 412
    assert (fresh.status_code, fresh["ETag"], fresh.json()["title"]) == (200, '"2"', "Y")
    assert delete.status_code == 403  # agents cannot delete articles


def test_a_stale_if_match_on_delete_is_a_412(tenant, agent, member, api_client):
    admin = api_client(member(Role.ADMIN))
    article = _create(agent, tenant).json()
    url = _url(tenant, f"articles/{article['id']}/")

    stale = admin.delete(url, HTTP_IF_MATCH='"2"')
    gone = admin.delete(url, HTTP_IF_MATCH='"1"')

    assert (stale.status_code, gone.status_code) == (412, 204)


def test_slug_change_is_recorded_and_the_old_slug_stays_taken(tenant, agent, boss):
    article = _create(agent, tenant, slug="old").json()
    boss.post(_url(tenant, f"articles/{article['id']}/publish/"))

    agent.patch(_url(tenant, f"articles/{article['id']}/"), {"slug": "new"}, format="json")
    reuse = _create(agent, tenant, title="Other", slug="old")

    with tenant_context(tenant):
        old = list(ArticleSlug.objects.values_list("slug", "article__public_id"))
    assert [(slug, str(pk)) for slug, pk in old] == [("old", article["id"])]
    assert set(field_errors(reuse)) == {"slug"}


def test_publish_edit_revisions_and_restore(tenant, agent, boss):
    article = _create(agent, tenant, body="First").json()
    url = _url(tenant, f"articles/{article['id']}/")

    by_agent = agent.post(f"{url}publish/")
    published = boss.post(f"{url}publish/")
    again = boss.post(f"{url}publish/")
    edited = agent.patch(url, {"body": "Second"}, format="json")
    revisions = agent.get(f"{url}revisions/").json()["results"]
    one = agent.get(f"{url}revisions/{revisions[0]['id']}/")
    by_agent_restore = agent.post(f"{url}revisions/{revisions[0]['id']}/restore/")
    restored = boss.post(f"{url}revisions/{revisions[0]['id']}/restore/")

    assert (by_agent.status_code, published.status_code) == (403, 200)
    assert published.json()["published_at"] is not None
    assert (again.status_code, again.json()["code"]) == (409, "article_state")
    assert (edited.json()["status"], edited.json()["body_html"]) == ("published", "<p>Second</p>\n")
    assert [r["body"] for r in revisions] == ["First"]
    assert one.json()["article_version"] == 2
    assert by_agent_restore.status_code == 403
    assert (restored.json()["status"], restored.json()["body"]) == ("draft", "First")
    assert [r["body"] for r in agent.get(f"{url}revisions/").json()["results"]] == [
        "Second",
        "First",
    ]


def test_another_articles_revision_is_a_404(tenant, agent, boss):
    first = _create(agent, tenant, body="First").json()
    second = _create(agent, tenant, title="Second").json()
    boss.post(_url(tenant, f"articles/{first['id']}/publish/"))
    agent.patch(_url(tenant, f"articles/{first['id']}/"), {"body": "Edited"}, format="json")
    revision = agent.get(_url(tenant, f"articles/{first['id']}/revisions/")).json()["results"][0]

    response = agent.get(_url(tenant, f"articles/{second['id']}/revisions/{revision['id']}/"))

    assert response.status_code == 404


def test_categories_crud_and_a_category_with_articles_is_a_409(tenant, agent, boss):
    created = boss.post(_url(tenant, "categories/"), {"name": "Billing"}, format="json").json()
    child = boss.post(
        _url(tenant, "categories/"), {"name": "Cards", "parent": created["id"]}, format="json"
    )
    grandchild = boss.post(
        _url(tenant, "categories/"),
        {"name": "Visa", "parent": child.json()["id"]},
        format="json",
    )
    _create(agent, tenant, category=child.json()["id"])

    delete_child = boss.delete(_url(tenant, f"categories/{child.json()['id']}/"))
    listed = agent.get(_url(tenant, "categories/")).json()["results"]

    assert (created["slug"], child.json()["parent"]) == ("billing", created["id"])
    assert set(field_errors(grandchild)) == {"parent"}
    assert (delete_child.status_code, delete_child.json()["code"]) == (409, "category_not_empty")
    assert [c["name"] for c in listed] == ["Billing", "Cards"]


@pytest.mark.parametrize("count", [1, 20])
def test_article_list_costs_the_same_for_one_or_many(
    tenant, member, api_client, count, django_assert_num_queries
):
    viewer = api_client(member(Role.VIEWER))
    author = member(Role.AGENT)
    with tenant_context(tenant):
        category = category_recipe.make(tenant=tenant)
        article_recipe.make(tenant=tenant, category=category, author=author.user, _quantity=count)
    url = _url(tenant, "articles/")
    viewer.get(url)  # warm: the token's first use writes its last-used time

    with django_assert_num_queries(QUERIES_PER_ARTICLE_PAGE):
        response = viewer.get(url, {"page_size": 100})

    assert len(response.json()["results"]) == count
    with tenant_context(tenant):
        assert Article.objects.count() == count


# Request plumbing (savepoints, auth, membership entering the tenant context) plus one query
# of articles.
QUERIES_PER_ARTICLE_PAGE = 6


@pytest.mark.parametrize(
    ("body", "bad"),
    [
        ({"name": "a\x00b"}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "Ok", "slug": "x" * 101}, "slug"),
        ({"name": "Ok", "description": "x" * 2001}, "description"),
        ({"name": "Ok", "position": 10**9}, "position"),
        ({"name": "Ok", "position": "first"}, "position"),
        ({"name": "Ok", "parent": "not-a-uuid"}, "parent"),
        ({"name": "Ok", "color": "red"}, "color"),
    ],
)
def test_bad_category_input_is_a_400_naming_the_field(tenant, boss, body, bad):
    response = boss.generic(
        "POST", _url(tenant, "categories/"), json.dumps(body), "application/json"
    )

    assert set(field_errors(response)) == {bad}


def test_a_parent_of_another_tenant_is_a_400(tenant, other_tenant, boss):
    with tenant_context(other_tenant):
        foreign = category_recipe.make(tenant=other_tenant)

    response = boss.post(
        _url(tenant, "categories/"), {"name": "Mine", "parent": str(foreign.public_id)}, "json"
    )

    assert set(field_errors(response)) == {"parent"}


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"tags": ["a\x00"]}, "tags"),
        ({"excerpt": "a\x00"}, "excerpt"),
        ({"version": 9}, "version"),
        ({"body_html": "<script>"}, "body_html"),
    ],
)
def test_bad_patch_input_is_a_400_and_changes_nothing(tenant, agent, fields, bad):
    article = _create(agent, tenant).json()
    url = _url(tenant, f"articles/{article['id']}/")

    response = agent.generic("PATCH", url, json.dumps(fields), "application/json")

    assert set(field_errors(response)) == {bad}
    assert agent.get(url).json()["version"] == 1
