"""Liveness and readiness endpoints."""


def test_healthz_answers_without_touching_dependencies(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_reports_each_check(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_names_what_failed(app, client):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["failed"] == ["redis"]
    assert response.json["checks"]["database"] == "ok"


def test_request_id_is_taken_from_the_caller_or_generated(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == (
        "abc-123"
    )
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert len(generated) == 32


def test_healthz_answers_before_the_app_and_its_hooks(app, client, caplog):
    seen = []
    app.before_request(lambda: seen.append("hook"))
    with caplog.at_level("INFO", logger="folio.request"):
        response = client.get("/healthz")
        head = client.head("/healthz")
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert head.status_code == 200
    assert head.data == b""
    # Probes every few seconds would drown the request log.
    assert seen == []
    assert [r for r in caplog.records if r.name == "folio.request"] == []


def test_other_methods_on_healthz_reach_the_app(client, caplog):
    with caplog.at_level("INFO", logger="folio.request"):
        assert client.post("/healthz").status_code == 404
    assert [r.path for r in caplog.records if r.name == "folio.request"] == ["/healthz"]
