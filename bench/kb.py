"""Knowledge-base and help-center benchmark: 10,000 articles per tenant.

    bench/run_kb.sh                      # seed (once) and measure; see that script's env

Seeding (`--seed`, idempotent): tenants <prefix>-1..N are made by `manage.py seed_bench` (an
owner `owner@<slug>.test`, password bench-password-1, and a few tickets); each then gets 40
categories (10 of them children) and `--articles` articles written in its tenant context (so
the search triggers build their documents as in production): 85 % published, 10 % drafts,
5 % archived; titles of 4-8 words and bodies of ~150 words drawn from a 2,000-word vocabulary
with a Zipf-like skew, so `account` is in about a third of the articles and `zebracorn` in
five.

Measured against a running server, interleaved per tenant (`--requests` each from
`--concurrency` threads, keep-alive): the public categories (with their counts), the public
list (first page, a page further on through `next`, one category), an article by slug
(random published ones), public search (a common and a rare word, and a type-ahead prefix),
and the members' `kb/search/` (common word, drafts included). Prints one markdown table per tenant.
"""

import argparse
import os
import random
import sys
from pathlib import Path
from urllib.parse import urlsplit

from httpbench import (
    TABLE_HEADER,
    Scenario,
    login,
    parse_base,
    request_json,
    run_scenario,
    table_row,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


COMMON, RARE = "account", "zebracorn"
VOCABULARY_SIZE = 2000
BENCH_PASSWORD = "bench-password-1"  # seed_bench's; benchmark data only


def _vocabulary(rng: random.Random) -> list[str]:
    syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "vi", "so", "pe", "da", "zu", "fo", "gi"]
    words = set()
    while len(words) < VOCABULARY_SIZE:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def _text(rng: random.Random, words: list[str], weights: list[float], n: int) -> list[str]:
    return rng.choices(words, weights=weights, k=n)


def seed(prefix: str, tenants: int, articles: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    django.setup()
    from django.core.management import call_command
    from django.db import connections, transaction
    from django.utils import timezone

    from knowledge_base.models import Article, Category
    from tenants.context import tenant_context
    from tenants.models import Tenant

    call_command(
        "seed_bench",
        "--skip-if-seeded",
        "--prefix",
        prefix,
        "--tenants",
        str(tenants),
        "--tickets-per-tenant",
        "100",
        "--comments-per-ticket",
        "0",
    )
    rng = random.Random(11)
    words = _vocabulary(rng)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    for index in range(1, tenants + 1):
        tenant = Tenant.objects.get(slug=f"{prefix}-{index}")
        with tenant_context(tenant), transaction.atomic():
            have = Article.objects.count()
            if have >= articles:
                print(f"{tenant.slug}: {have} articles already", file=sys.stderr)
                continue
            tops = Category.objects.bulk_create(
                Category(tenant=tenant, name=f"Topic {i}", slug=f"topic-{i}", position=i)
                for i in range(30)
            )
            children = Category.objects.bulk_create(
                Category(
                    tenant=tenant,
                    name=f"Sub {i}",
                    slug=f"sub-{i}",
                    parent=tops[i % 30],
                    position=100 + i,
                )
                for i in range(10)
            )
            shelves = tops + children
            now = timezone.now()
            rare_left = 5
            batch = []
            for n in range(articles):
                title = _text(rng, words, weights, rng.randint(4, 8))
                body = _text(rng, words, weights, 150)
                if rng.random() < 0.33:
                    body[rng.randrange(150)] = COMMON
                if rare_left and n % (articles // 5) == 7:
                    title[-1], rare_left = RARE, rare_left - 1
                roll = rng.random()
                status = "published" if roll < 0.85 else "draft" if roll < 0.95 else "archived"
                text = " ".join(body)
                batch.append(
                    Article(
                        tenant=tenant,
                        title=" ".join(title).capitalize(),
                        slug=f"article-{n}",
                        body=text,
                        body_html=f"<p>{text}</p>",
                        excerpt=" ".join(body[:20]),
                        tags=_text(rng, words[:50], weights[:50], 2),
                        category=rng.choice(shelves),
                        status=status,
                        published_at=None
                        if status == "draft"
                        else now - timezone.timedelta(minutes=n),
                    )
                )
                if len(batch) == 1000:
                    Article.objects.bulk_create(batch)
                    batch = []
            Article.objects.bulk_create(batch)
            print(f"{tenant.slug}: {articles} articles seeded", file=sys.stderr)
    # As autovacuum would have by the time anyone reads them (statistics, visibility map).
    with connections["owner"].cursor() as cursor:
        for table in ("knowledge_base_article", "knowledge_base_category"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def _published_slugs(base, slug: str, pages: int) -> list[str]:
    slugs, path = [], f"/api/v1/help/{slug}/articles/?page_size=100"
    for _ in range(pages):
        status, body = request_json(base, "GET", path)
        if status != 200:
            raise SystemExit(f"list failed: {status} {body}")
        slugs += [a["slug"] for a in body["results"]]
        if not body["next"]:
            break
        nxt = urlsplit(body["next"])
        path = f"{nxt.path}?{nxt.query}"
    return slugs


def measure(base_url: str, prefix: str, tenants: int, requests: int, concurrency: int) -> None:
    base = parse_base(base_url)
    print(f"requests per scenario {requests}, concurrency {concurrency}\n")
    for index in range(1, tenants + 1):
        slug = f"{prefix}-{index}"
        token = login(base, f"owner@{slug}.test", BENCH_PASSWORD)
        member = {"Authorization": f"Bearer {token}"}
        help_base = f"/api/v1/help/{slug}"
        slugs = _published_slugs(base, slug, 5)
        status, first = request_json(base, "GET", f"{help_base}/articles/?page_size=25")
        assert status == 200, first
        for _ in range(3):
            nxt = urlsplit(first["next"])
            status, first = request_json(base, "GET", f"{nxt.path}?{nxt.query}")
        deep = f"{nxt.path}?{nxt.query}"
        rng = random.Random(5)
        picks = [rng.choice(slugs) for _ in range(requests + 100)]
        scenarios = [
            Scenario("help categories/", f"{help_base}/categories/"),
            Scenario("help articles/ first page", f"{help_base}/articles/"),
            Scenario("help articles/ 4th page (cursor)", deep),
            Scenario("help articles/?category=topic-3", f"{help_base}/articles/?category=topic-3"),
            Scenario(
                "help articles/<slug>/ (random)",
                lambda i, base=help_base, picks=picks: f"{base}/articles/{picks[i % len(picks)]}/",
            ),
            Scenario(f"help search/?q={COMMON}", f"{help_base}/search/?q={COMMON}"),
            Scenario(f"help search/?q={RARE}", f"{help_base}/search/?q={RARE}"),
            Scenario("help search/?q=ka (prefix)", f"{help_base}/search/?q=ka"),
            Scenario(
                f"kb/search/?q={COMMON} (member)",
                f"/api/v1/t/{slug}/kb/search/?q={COMMON}",
                headers=member,
            ),
        ]
        print(f"### {slug}\n\n{TABLE_HEADER}")
        for scenario in scenarios:
            result = run_scenario(base, scenario, concurrency=concurrency, requests=requests)
            print(table_row(f"GET {scenario.name}", result), flush=True)
            if result.first_error:
                print(f"<!-- first error: {result.first_error} -->")
        print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prefix", default="kb10k")
    parser.add_argument("--tenants", type=int, default=2)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--seed", action="store_true")
    parser.add_argument("--base-url")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    if args.seed:
        seed(args.prefix, args.tenants, args.articles)
    if args.base_url:
        measure(args.base_url, args.prefix, args.tenants, args.requests, args.concurrency)


if __name__ == "__main__":
    main()
