from __future__ import annotations

from tests.conftest import RunningApp


async def test_health_ready_metrics_and_schema(running: RunningApp) -> None:
    client = running.client
    assert (await client.get("/health")).json() == {"status": "alive"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "bus": True}
    metrics = await client.get("/metrics")
    assert "nija_http_requests_total" in metrics.text
    schema = await client.get("/schema/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "NIJA API"


async def test_unknown_route_is_a_problem_with_request_id(running: RunningApp) -> None:
    response = await running.client.get("/v1/nothing-here", headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404 and body["instance"] == "/v1/nothing-here"
    assert body["request_id"] == "abc-123"
    assert response.headers["x-request-id"] == "abc-123"


async def test_api_docs_load_nothing_from_another_origin(running: RunningApp) -> None:
    """The docs work offline: every script, style and icon they name is served by the app."""
    import re

    client = running.client
    for page in ("/schema", "/schema/swagger"):
        response = await client.get(page)
        assert response.status_code == 200, page
        html = response.text
        assert not re.search(r"(?:src|href)=['\"]?(?:https?:)?//", html), html
        assets = re.findall(r"(?:src|href)=['\"](/[^'\"]+)['\"]", html)
        assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
        for asset in assets:
            fetched = await client.get(asset)
            assert fetched.status_code == 200 and len(fetched.content) > 100, asset
    assert "SwaggerUIBundle" in (await client.get("/schema/assets/swagger-ui-bundle.js")).text
