"""What the CSV export tests share: the header, the URLs, requesting and downloading an
export, reading the file and the jobs."""

import csv
import io

from tenants.context import tenant_context
from tickets.models import ExportJob

# The requester of the tickets made here unless a test names one (make_ticket's default is
# asker@example.test; the file's rows show this one).
SOMEONE = "someone@example.test"


def _exports_url(tenant, *parts) -> str:
    return "/".join([f"/api/v1/t/{tenant.slug}/exports", *map(str, parts)]) + "/"


def _request_export(client, tenant, capture, filters=None):
    body = {} if filters is None else {"filters": filters}
    with capture(execute=True):
        response = client.post(_exports_url(tenant), body, format="json")
    return response


def _download(client, tenant, job_id):
    return client.get(_exports_url(tenant, job_id, "download"))


def _csv_text(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(_csv_text(response))))[1:]


def _jobs(tenant) -> list[ExportJob]:
    with tenant_context(tenant):
        return list(ExportJob.objects.order_by("created_at", "id"))
