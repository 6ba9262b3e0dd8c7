"""Every kind of bad input gets a clear 4xx RFC 9457 problem: never a 500, never a traceback."""

from __future__ import annotations

from typing import Any

import pytest

from modules.kernel.auth import Principal
from tests.conftest import RunningApp, register_and_login

JSON = {"Content-Type": "application/json"}


def assert_problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    assert "Traceback" not in response.text and 'File "' not in response.text
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/v1/auth/register", b'{"email": "a@b.co", "password": '),
        ("/v1/auth/login", b"not json at all"),
        ("/v1/credentials", b"[1, 2"),
        ("/v1/orders", b'{"symbol": "BTC/USD",,}'),
    ],
)
async def test_malformed_json_is_400(running: RunningApp, path: str, payload: bytes) -> None:
    headers = await register_and_login(running.client)
    response = await running.client.post(path, content=payload, headers={**headers, **JSON})
    assert_problem(response, 400)


async def test_schema_violations_are_400_with_field_errors(running: RunningApp) -> None:
    client = running.client
    body = assert_problem(
        await client.post("/v1/auth/register", json={"email": "x@y.co", "password": 12}), 400
    )
    assert body.get("errors"), body
    headers = await register_and_login(client)
    for order in (
        {"symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "-1"},
        {"symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0"},
        {"symbol": "BTC/USD", "side": "hold", "type": "market", "quantity": "1"},
        {"symbol": "BTC/USD", "side": "buy", "type": "stop", "quantity": "1"},
        {"symbol": "BTC/USD", "side": "buy", "type": "market"},
    ):
        response = await client.post("/v1/orders", json=order, headers=headers)
        assert response.status_code in (400, 422), (order, response.text)
        assert_problem(response, response.status_code)


async def test_domain_refusals_are_422_with_stable_codes(running: RunningApp) -> None:
    client = running.client
    headers = await register_and_login(client)
    response = await client.post(
        "/v1/credentials",
        json={"venue": "mtgox", "api_key": "key-12345678", "api_secret": "secret-12345678"},
        headers=headers,
    )
    assert_problem(response, 422, "unknown_venue")
    response = await client.post(
        "/v1/orders",
        json={"symbol": "DOGE/EUR", "side": "buy", "type": "market", "quantity": "1"},
        headers=headers,
    )
    assert_problem(response, 422, "unknown_symbol")
    response = await client.post(
        "/v1/orders",
        json={"symbol": "BTC/USD", "side": "buy", "type": "limit", "quantity": "1"},
        headers=headers,
    )
    assert response.status_code in (400, 422)
    assert_problem(response, response.status_code)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/orders"),
        ("POST", "/v1/orders"),
        ("GET", "/v1/credentials"),
        ("POST", "/v1/credentials"),
        ("GET", "/v1/auth/me"),
    ],
)
async def test_missing_token_is_401(running: RunningApp, method: str, path: str) -> None:
    response = await running.client.request(method, path, json={})
    assert_problem(response, 401, "missing_token")


async def test_expired_and_forged_tokens_are_401(running: RunningApp) -> None:
    tokens = running.runtime.tokens
    expired = tokens.issue(Principal(user_id="u-1", role="trader"), ttl_seconds=-30)
    response = await running.client.get(
        "/v1/orders", headers={"Authorization": f"Bearer {expired}"}
    )
    assert_problem(response, 401, "token_expired")
    for bad in ("not-a-jwt", expired[:-4] + "AAAA"):
        response = await running.client.get(
            "/v1/orders", headers={"Authorization": f"Bearer {bad}"}
        )
        assert_problem(response, 401, "invalid_token")
    response = await running.client.get("/v1/orders", headers={"Authorization": "Basic abc"})
    assert_problem(response, 401, "missing_token")


async def test_unknown_resources_and_methods(running: RunningApp) -> None:
    headers = await register_and_login(running.client)
    assert_problem(await running.client.get("/v1/orders/not-a-uuid", headers=headers), 404)
    assert_problem(
        await running.client.get(
            "/v1/orders/00000000-0000-4000-8000-000000000000", headers=headers
        ),
        404,
    )
    assert_problem(await running.client.delete("/v1/auth/login"), 405)


@pytest.mark.parametrize("before", ["9223372036854775808", "99999999999999999999999", "0", "-1"])
async def test_out_of_range_integers_in_the_query_are_400(running: RunningApp, before: str) -> None:
    """The bound is in the schema (so the OpenAPI documents it), not a database overflow."""
    client = running.client
    headers = await register_and_login(client)
    response = await client.get("/v1/audit", params={"before": before}, headers=headers)
    assert_problem(response, 400, "invalid_request")
    assert (await client.get("/v1/audit?before=9223372036854775807", headers=headers)).is_success


async def test_every_integer_query_parameter_is_bounded_in_the_openapi(
    running: RunningApp,
) -> None:
    spec = (await running.client.get("/schema/openapi.json")).json()
    unbounded = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                options = schema.get("oneOf", [schema])
                for option in options:
                    bounded = "maximum" in option or "maximum" in schema
                    if option.get("type") == "integer" and not bounded:
                        unbounded.append(f"{method.upper()} {path} {parameter['name']}")
    assert unbounded == []


async def test_anonymous_callers_learn_nothing_but_401_from_any_body(running: RunningApp) -> None:
    """Authentication comes before the body: a malformed body without a token is still 401."""
    spec = (await running.client.get("/schema/openapi.json")).json()
    secured = [
        (method, path)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if method in {"post", "put", "patch"}
        and "requestBody" in operation
        and operation.get("security") == [{"bearer": []}]
    ]
    assert len(secured) >= 10
    for method, path in secured:
        url = path.replace("{", "").replace("}", "")  # any id: auth is checked before it
        response = await running.client.request(method, url, content=b"{not json", headers=JSON)
        if response.status_code == 404 and "{" in path:
            continue  # a path parameter of the wrong type is routed nowhere
        assert_problem(response, 401)


async def test_the_openapi_says_which_operations_need_the_bearer_token(
    running: RunningApp,
) -> None:
    spec = (await running.client.get("/schema/openapi.json")).json()
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    public = {
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if not operation.get("security")
    }
    assert public == {
        "GET /health",
        "GET /ready",
        "GET /metrics",
        "POST /v1/auth/register",
        "POST /v1/auth/login",
        "POST /v1/auth/login/second-factor",
        "POST /v1/auth/refresh",
        "POST /v1/auth/logout",
        "POST /v1/auth/device/challenge",
        "POST /v1/auth/device/login",
        # TradingView cannot send a token: the hook's secret, in the body, authenticates.
        "POST /v1/webhooks/tradingview/{hook_id}",
    }
    for path in ("/v1/orders", "/v1/credentials", "/v1/admin/users"):
        assert spec["paths"][path]["get"]["security"] == [{"bearer": []}]


async def test_traders_get_403_on_admin_routes_whatever_the_body(running: RunningApp) -> None:
    headers = {**await register_and_login(running.client), **JSON}
    response = await running.client.post("/v1/admin/kill-switch", content=b"[[[", headers=headers)
    assert_problem(response, 403, "admin_required")


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/xml", None],
)
@pytest.mark.parametrize("path", ["/v1/orders", "/v1/credentials", "/v1/auth/login"])
async def test_a_json_body_under_another_media_type_is_415(
    running: RunningApp, path: str, content_type: str | None
) -> None:
    headers = await register_and_login(running.client)
    body = b'{"email": "a@b.co", "password": "correct horse battery 9", "symbol": "BTC/USD"}'
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = await running.client.post(path, content=body, headers=headers)
    assert_problem(response, 415, "unsupported_media_type")
    multipart = await running.client.post(path, files={"f": ("a.json", body)}, headers=headers)
    assert_problem(multipart, 415, "unsupported_media_type")
    charset = {**headers, "Content-Type": "application/json; charset=utf-8"}
    accepted = await running.client.post(path, content=body, headers=charset)
    assert accepted.status_code != 415


@pytest.mark.parametrize("opener", [b"[", b'{"a":'])
async def test_absurdly_nested_json_is_a_400_not_a_crash(
    running: RunningApp, opener: bytes
) -> None:
    headers = {**await register_and_login(running.client), **JSON}
    body = opener * 100_000
    for path in ("/v1/orders", "/v1/credentials", "/v1/auth/login"):
        response = await running.client.post(path, content=body, headers=headers)
        assert_problem(response, 400)
    assert (await running.client.get("/health")).status_code == 200


@pytest.mark.parametrize(
    "bad", ["\u0000", "a\u0000b", "line\nbreak", "tab\there", "\u007f", "\u001b[31m"]
)
async def test_control_characters_are_refused_naming_the_field(
    running: RunningApp, bad: str
) -> None:
    """Never stored (a NUL was a 500 from the driver) and never silently stripped."""
    client = running.client
    headers = await register_and_login(client)
    credential = {"venue": "kraken", "api_key": "key-12345678", "api_secret": "secret-12345678"}
    response = await client.post(
        "/v1/credentials", json={**credential, "label": bad}, headers=headers
    )
    body = assert_problem(response, 422, "control_characters")
    assert body["errors"][0]["key"] == "$.label" and "$.label" in body["detail"]
    response = await client.post(
        "/v1/credentials", json={**credential, "api_secret": "secret-1234" + bad}, headers=headers
    )
    assert_problem(response, 422, "control_characters")
    assert "secret-1234" not in response.text  # the refusal names the field, never its value
    response = await client.post(
        "/v1/auth/register", json={"email": f"x{bad}@example.com", "password": "x" * 16}
    )
    assert assert_problem(response, 422, "control_characters")["errors"][0]["key"] == "$.email"
    response = await client.patch(
        "/v1/settings/profile", json={"display_name": f"Ann{bad}"}, headers=headers
    )
    assert_problem(response, 422, "control_characters")
    listed = (await client.get("/v1/credentials", headers=headers)).json()
    assert listed == [] or all("\u0000" not in str(item) for item in listed)


async def test_the_openapi_documents_the_problems_each_operation_can_answer(
    running: RunningApp,
) -> None:
    spec = (await running.client.get("/schema/openapi.json")).json()
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "code"} <= set(problem["required"])
    post_order = spec["paths"]["/v1/orders"]["post"]["responses"]
    assert {"400", "401", "403", "409", "413", "415", "422", "429"} <= post_order.keys()
    for status in ("401", "415", "422", "429"):
        content = post_order[status]["content"]
        assert content["application/problem+json"]["schema"]["$ref"].endswith("/Problem")
    assert "404" in spec["paths"]["/v1/orders/{order_id}"]["get"]["responses"]
    assert "401" not in spec["paths"]["/health"]["get"]["responses"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if operation.get("security"):
                assert {"401", "403", "429"} <= operation["responses"].keys(), (method, path)


LOOSE_AMOUNTS = (" 0.01 ", "1_000", "\u0661", "\uff11", "1e3", "+1", ".5", "1.", "1E-2")


async def test_loosely_spelt_amounts_are_refused(running: RunningApp) -> None:
    """Python's Decimal would read each of these; an amount is plain digits and one dot.
    (What is no number at all, "NaN" or "abc", stays the schema's 400.)"""
    headers = await register_and_login(running.client)
    for quantity in LOOSE_AMOUNTS:
        order = {"symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": quantity}
        response = await running.client.post("/v1/orders", json=order, headers=headers)
        body = assert_problem(response, 422, "invalid_decimal")
        assert body["errors"][0]["key"] == "$.quantity", quantity
        settings = await running.client.patch(
            "/v1/settings/trading", json={"max_position_usd": quantity}, headers=headers
        )
        assert_problem(settings, 422, "invalid_decimal")
    raw_number = b'{"symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": 1e-2}'
    response = await running.client.post(
        "/v1/orders", content=raw_number, headers={**headers, **JSON}
    )
    assert_problem(response, 422, "invalid_decimal")


async def test_plainly_spelt_amounts_pass_the_spelling_check(running: RunningApp) -> None:
    headers = await register_and_login(running.client)
    for quantity in ("0.01", 0.01, 1):
        order = {"symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": quantity}
        response = await running.client.post("/v1/orders", json=order, headers=headers)
        assert response.json().get("code") != "invalid_decimal", response.text
