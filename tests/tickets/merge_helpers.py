"""What the merge tests share: the URL and call, and a snapshot of what a merge could touch."""

import json


def merge_url(tenant, number) -> str:
    return f"/api/v1/t/{tenant.slug}/tickets/{number}/merge/"


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")
