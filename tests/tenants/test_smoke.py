def test_owner_reads_tenant(member, api_client, tenant):
    owner = member("owner")
    response = api_client(owner).get(f"/api/v1/t/{tenant.slug}/")
    assert response.status_code == 200, response.content
    assert response.json()["slug"] == tenant.slug
