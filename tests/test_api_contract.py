"""What the OpenAPI promises, the API keeps: regressions for what the schemathesis run
(tests/test_openapi_fuzz.py) found, each stated once plainly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from app import create_app
from tests.conftest import RunningApp, register_and_login, serve, truncate_all
from tests.identity.conftest import make_admin, problem

JSON = {"Content-Type": "application/json"}


async def test_options_lists_every_method_of_the_path(running: RunningApp) -> None:
    """Litestar 2 answered with the methods of the first handler registered on the path."""
    for path, methods in (
        ("/v1/credentials", {"GET", "POST", "OPTIONS"}),
        ("/v1/settings/profile", {"GET", "PATCH", "OPTIONS"}),
        ("/v1/settings/trading/kill-switch", {"POST", "DELETE", "OPTIONS"}),
    ):
        response = await running.client.options(path)
        assert response.status_code == 204
        assert set(response.headers["allow"].split(", ")) == methods, path


async def test_metrics_are_the_text_the_openapi_says(running: RunningApp) -> None:
    response = await running.client.get("/metrics")
    assert response.headers["content-type"] == "text/plain; version=1.0.0; charset=utf-8"
    spec = (await running.client.get("/schema/openapi.json")).json()
    assert set(spec["paths"]["/metrics"]["get"]["responses"]["200"]["content"]) == {
        "text/plain; version=1.0.0"
    }


@pytest.fixture
async def two_a_minute(make_settings: Any, database_url: str) -> AsyncIterator[RunningApp]:
    await truncate_all(database_url)
    async with serve(create_app(make_settings(api_rate_limits_per_minute={"basic": 2}))) as app:
        yield app


async def test_a_token_sent_to_a_public_operation_does_not_spend_the_budget(
    two_a_minute: RunningApp,
) -> None:
    """A public operation's OpenAPI has no 429, and answered none when a token came along."""
    client = two_a_minute.client
    headers = await register_and_login(client)
    for _ in range(3):
        assert (await client.get("/health", headers=headers)).status_code == 200
    refresh = await client.post(
        "/v1/auth/refresh", json={"refresh_token": "not-a-token"}, headers=headers
    )
    problem(refresh, 401, "invalid_refresh_token")
    assert (await client.get("/v1/auth/me", headers=headers)).status_code == 200
    assert (await client.get("/v1/auth/me", headers=headers)).status_code == 200
    problem(await client.get("/v1/auth/me", headers=headers), 429, "rate_limited")


@pytest.mark.parametrize("since", ["0", "0.5", "1700000000", "2020-02-30T00:00:00Z", "2020-01-01"])
async def test_audit_time_filters_take_rfc3339_only(running: RunningApp, since: str) -> None:
    """A bare number was read as Unix seconds, though the OpenAPI says date-time."""
    headers = await register_and_login(running.client)
    response = await running.client.get("/v1/audit", params={"since": since}, headers=headers)
    problem(response, 400, "invalid_request")
    fine = await running.client.get(
        "/v1/audit", params={"since": "2020-01-01T00:00:00Z"}, headers=headers
    )
    assert fine.status_code == 200, fine.text


async def test_booleans_and_numbers_in_a_body_are_not_coerced(running: RunningApp) -> None:
    """`"active": 0` switched the kill switch off: the body is decoded as the schema says."""
    admin = await make_admin(running)
    for body in (
        {"scope": "global", "active": 0},
        {"scope": "global", "active": "false"},
    ):
        response = await running.client.post("/v1/admin/kill-switch", json=body, headers=admin)
        problem(response, 400, "invalid_request")
    response = await running.client.post(
        "/v1/admin/venues/coinbase/faults", json={"max_in_flight": "5"}, headers=admin
    )
    problem(response, 400, "invalid_request")
    ok = await running.client.post(
        "/v1/admin/kill-switch", json={"scope": "global", "active": False}, headers=admin
    )
    assert ok.status_code == 200, ok.text


async def test_amounts_are_spelt_and_sized_as_documented(running: RunningApp) -> None:
    headers = await register_and_login(running.client)
    path = "/v1/settings/trading"
    # A leading zero is a loose spelling, as the documented pattern says.
    response = await running.client.patch(path, json={"equity_usd": "01"}, headers=headers)
    problem(response, 422, "invalid_decimal")
    # Trailing zeros past 8 decimals made a 33-character amount the schema bounds at 32.
    long = "1." + "0" * 31
    response = await running.client.patch(path, json={"equity_usd": long}, headers=headers)
    problem(response, 422, "too_many_decimals")
    response = await running.client.patch(path, json={"equity_usd": "1.5"}, headers=headers)
    assert response.status_code == 200, response.text


def _request_strings(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    schemas = spec["components"]["schemas"]
    found = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "header" and "maxLength" in parameter["schema"]:
                    # HTTP itself keeps control characters out of a header value (the server
                    # refuses the request); only its length is the schema's to bound.
                    continue
                found.append((f"{where} {parameter['name']}", parameter["schema"]))
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                ref = body["schema"]["$ref"].rsplit("/", 1)[-1]
                for name, prop in schemas[ref]["properties"].items():
                    found.append((f"{where} $.{name}", prop))
                    items = [o.get("items") for o in prop.get("oneOf", [prop]) if "items" in o]
                    found.extend((f"{where} $.{name}[]", i) for i in items)
    return found


def _is_string(schema: dict[str, Any]) -> bool:
    kinds = schema.get("type")
    options = [o.get("type") for o in schema.get("oneOf", [])]
    return "string" in (kinds if isinstance(kinds, list) else [kinds, *options])


async def test_every_request_string_is_bounded_in_the_openapi(running: RunningApp) -> None:
    spec = (await running.client.get("/schema/openapi.json")).json()
    unbounded = []
    for name, schema in _request_strings(spec):
        # An enum or a const names every value it takes: bounded by itself.
        fixed = ("enum", "const")
        if not _is_string(schema) or any(k in schema for k in fixed):
            continue
        if schema.get("format") == "uuid":
            continue
        options = schema.get("oneOf", [schema])
        if any(any(k in o for k in fixed) or o.get("format") == "uuid" for o in options):
            continue
        pattern = schema.get("pattern", "")
        # A pattern whose every alternative has a fixed size bounds the length by itself.
        if "maxLength" not in schema and not pattern.endswith("{2,12}$"):
            unbounded.append(f"{name}: no maxLength")
        if not pattern:
            unbounded.append(f"{name}: no pattern for its characters")
    assert unbounded == []
    bodies = spec["components"]["schemas"]
    assert bodies["PlaceOrderRequest"]["additionalProperties"] is False
    faults = bodies["VenueFaultsBody"]["properties"]
    assert faults["orders_per_second"]["exclusiveMinimum"] == 0
    assert faults["breaker_cooldown_seconds"]["minimum"] == 0
    for public in ("/v1/auth/refresh", "/v1/auth/login/second-factor", "/v1/auth/device/login"):
        assert "401" in spec["paths"][public]["post"]["responses"], public
