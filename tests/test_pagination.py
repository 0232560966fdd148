import base64

import pytest


@pytest.mark.parametrize(
    "path", ["members/", "invitations/", "audit-log/", "customers/", "tickets/", "exports/"]
)
@pytest.mark.parametrize("position", ["garbage", "2026-01-01T00:00:00", "99999999999999999999999"])
def test_tampered_cursor_is_404_never_500(member, api_client, tenant, path, position):
    client = api_client(member("owner"))
    cursor = base64.b64encode(f"p={position}".encode()).decode()
    response = client.get(f"/api/v1/t/{tenant.slug}/{path}", {"cursor": cursor})
    assert response.status_code == 404
