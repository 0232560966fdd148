from django.db.migrations.executor import MigrationExecutor


def test_healthz_is_200(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_rejects_post(client):
    response = client.post("/healthz")

    assert response.status_code == 405


def test_readyz_all_checks_ok(client, db):
    response = client.get("/readyz")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok", "migrations": "ok"},
    }


def test_readyz_redis_unreachable_is_503(client, db, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    response = client.get("/readyz")

    assert response.status_code == 503, response.content
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"] == "error"  # details are logged, not published
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"] == "ok"


def test_readyz_unapplied_migration_is_503(client, db, monkeypatch):
    monkeypatch.setattr(
        MigrationExecutor, "migration_plan", lambda self, targets: [("fake", False)]
    )

    response = client.get("/readyz")

    assert response.status_code == 503, response.content
    checks = response.json()["checks"]
    assert checks["migrations"] == "error"
    assert checks["database"] == "ok"
    assert checks["redis"] == "ok"


def test_readyz_failed_check_is_logged(client, db, settings, caplog):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    with caplog.at_level("WARNING", logger="tenantdesk.health"):
        client.get("/readyz")

    failed = [r for r in caplog.records if r.getMessage() == "readyz.check_failed"]
    assert [r.check for r in failed] == ["redis"]
    assert "Connection" in failed[0].error


def test_unknown_url_is_404_json(client, db):
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_unknown_api_url_is_404_json(client, db):
    response = client.get("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
