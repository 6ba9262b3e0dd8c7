"""Schemathesis over every operation of the OpenAPI, as a trader and as an admin: no 5xx, and no
response that breaks the schema the API documents.

The app is the real one, served on a loopback port inside the test's event loop; the requests
come from a worker thread so the server keeps running. Each operation gets schemathesis'
coverage cases (boundary values, missing and wrong-typed parameters, unexpected methods) and
then at least `EXAMPLES` generated ones where the role owns the operation (fewer for the other
role's and for those that hash a password), positive (what the schema allows) and negative (what it
forbids), and every response goes through the checks in `CHECKS`. Failures are collected over
the whole run, so one run reports every broken operation, not the first.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from litestar.routes import HTTPRoute, WebSocketRoute
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi import checks as openapi_checks

from app import create_app
from modules.kernel.auth import Principal
from tests.conftest import RunningApp, serve, truncate_all
from tests.identity.conftest import PASSWORD, bearer, enrol_totp, new_email, register, tokens_for

EXAMPLES = 30
# Hashing a password with argon2 takes about 0.3 s here; the operations that hash the one sent
# (or check it against the stored hash) get fewer generated cases so the run stays short.
ARGON2_EXAMPLES = 8
OTHER_ROLE_EXAMPLES = 8
ARGON2 = frozenset(
    {
        "POST /v1/auth/register",
        "POST /v1/auth/login",
        "POST /v1/auth/password",
        "POST /v1/auth/2fa/totp/disable",
    }
)
# Operations that end the caller's sessions or revoke every token it holds. They run as a
# throwaway user of the caller's role, so the callers' own state stays as the other operations
# expect it (each case carries a freshly minted token anyway).
SIGNS_OUT = frozenset({"DELETE /v1/auth/sessions", "DELETE /v1/auth/sessions/{session_id}"})
# Served but deliberately absent from the OpenAPI, so there is no operation to fuzz: the
# WebSocket (an upgrade, not a request/response operation; tests/dashboard/test_websocket.py
# covers its protocol, bad frames and auth included) and the API docs' own pages and assets.
NOT_IN_OPENAPI = frozenset(
    {
        "WEBSOCKET /v1/ws",
        "GET /schema",
        "GET /schema/swagger",
        "GET /schema/openapi.json",
        "GET /schema/oauth2-redirect.html",
        "GET /schema/{path}",
        "GET /schema/assets/{file_path}",
    }
)

FRONT_ENDS = ("/admin", "/app")

CHECKS = [
    not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.negative_data_rejection,
    openapi_checks.positive_data_acceptance,
    openapi_checks.ignored_auth,
    # These three judge the coverage cases: a required header left out, a method the path does
    # not serve (405), and the `Allow` header of that answer.
    openapi_checks.missing_required_header,
    openapi_checks.unsupported_method,
    openapi_checks.allow_header_conformance,
]
# Left out, and why:
# - use_after_free, ensure_resource_availability: they judge a stateful scenario (create, then
#   read or delete what was created) and pass vacuously on single cases. Schemathesis' stateful
#   phase follows OpenAPI links; this schema declares none, and of the links it infers a trial
#   covered 2 of 34 in 355 scenarios. The module tests check those properties directly
#   (a revoked credential or device is 404 afterwards: tests/vault, tests/identity/test_devices.py).
# - object_level_authorization: needs a second identity's resources in a stateful scenario; the
#   module tests check that one user's orders, credentials and positions are 404 to another.
# - max_response_time: a latency budget, not a correctness check; bench/ measures latency.

# What a well-formed request may still be answered, besides 2xx: 401/403 (the role, a missing
# second factor), 404 (a generated id that does not exist), 409 (state) and 429 keep the
# schemathesis defaults; 422 is a refusal by a rule no schema can express (a weak or common
# password, an unknown venue, no credentials for the pair, a wrong TOTP code), and says which in
# `code`. A 400 stays a failure: it means the schema allowed what the server calls malformed.
POSITIVE_STATUSES = ["2xx", "401", "403", "404", "409", "422", "429"]
FUZZ_CONFIG = schemathesis.Config.from_dict(
    {"checks": {"positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES}}}
)
# Callers' tier limit, raised for the run: the fuzzing sends thousands of requests a minute per
# caller, which the real limit would answer 429 (tests/kernel/test_ratelimit.py tests the limit).
RATE_LIMITS = {"enterprise": 1_000_000}


@dataclass
class Caller:
    role: str
    user_id: str
    throwaway_id: str
    mint: Callable[[str], str]

    def headers_for(self, label: str) -> dict[str, str]:
        user = self.throwaway_id if label in SIGNS_OUT else self.user_id
        return bearer(self.mint(user))


@dataclass
class Tally:
    calls: Counter[str] = field(default_factory=Counter)
    seconds: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)


@pytest.fixture
async def fuzzed(make_settings: Any, database_url: str) -> AsyncIterator[RunningApp]:
    await truncate_all(database_url)
    settings = make_settings(api_rate_limits_per_minute=RATE_LIMITS)
    async with serve(create_app(settings)) as running_app:
        yield running_app


async def _trader(running: RunningApp) -> Caller:
    user_id = await register(running, new_email("fuzz"), PASSWORD)
    throwaway = await register(running, new_email("fuzz-throwaway"), PASSWORD)
    tokens = running.runtime.tokens

    def mint(user: str) -> str:
        return str(tokens.issue(Principal(user_id=user, role="trader", tier="enterprise")))

    return Caller("trader", user_id, throwaway, mint)


async def _admin(running: RunningApp) -> Caller:
    """An admin as the admin API demands one: TOTP enrolled (for real, so the account says so),
    and every token stamped with a proof made just now (step-up)."""
    identity = running.app.state.platform.modules["identity"]
    ids = []
    for name in ("fuzz-admin", "fuzz-admin-throwaway"):
        email = new_email(name)
        ids.append(await identity.create_admin(email, PASSWORD))
        await enrol_totp(running, bearer((await tokens_for(running, email))["access_token"]))
    tokens = running.runtime.tokens

    def mint(user: str) -> str:
        principal = Principal(
            user_id=user,
            role="admin",
            tier="enterprise",
            second_factor=True,
            second_factor_at=int(time.time()),
        )
        return str(tokens.issue(principal))

    return Caller("admin", ids[0], ids[1], mint)


def _examples(label: str, role: str) -> int:
    """Full depth where the role owns the operation: the admin API as an admin, the rest as a
    trader. The other role gets the coverage cases and a few generated ones (a trader's
    requests to the admin API are refused before their input matters, and an admin calling a
    trader's operation runs the same validation the trader run has just fuzzed)."""
    if label in ARGON2:
        return ARGON2_EXAMPLES
    owned_by_admin = label.split(" ", 1)[1].startswith("/v1/admin")
    return EXAMPLES if owned_by_admin == (role == "admin") else OTHER_ROLE_EXAMPLES


def _label(operation: Any) -> str:
    return f"{operation.method.upper()} {operation.path}"


def _coverage_cases(schema: Any, operation: Any) -> Iterator[Any]:
    config = schema.config.generation_for(operation=operation, phase="coverage")
    modes = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
    return iter(
        schema.iter_coverage_cases(operation, generation_modes=modes, generation_config=config)
    )


def _generated(operation: Any, examples: int, exercise: Callable[[Any], None]) -> Any:
    """A Hypothesis test sending `examples` generated cases, positive and negative mixed."""
    strategy = st.one_of(
        operation.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE),
    )

    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,  # the same cases every run: a failure reproduces
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=strategy)
    def run(case: Any) -> None:
        exercise(case)

    return run


def _fuzz(raw: dict[str, Any], base_url: str, caller: Caller) -> Tally:
    schema = schemathesis.openapi.from_dict(raw, config=FUZZ_CONFIG)
    session = requests.Session()
    tally = Tally()

    def exercise(label: str, case: Any) -> None:
        headers = caller.headers_for(label)
        if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER):
            # The case may have left the token out or mangled it on purpose; ours would undo it.
            headers = {}
        transport = {"base_url": base_url, "session": session, "headers": headers}
        response = case.call(base_url=base_url, session=session, headers=headers, timeout=15)
        tally.calls[label] += 1
        tally.statuses[response.status_code] += 1
        try:
            case.validate_response(
                response, checks=CHECKS, headers=headers, transport_kwargs=transport
            )
        except FailureGroup as group:
            for failure in group.exceptions:
                key = f"{label}: {failure.title}"
                if key not in tally.failures:
                    body = case.body if case.body is not schemathesis.core.NOT_SET else None
                    tally.failures[key] = (
                        f"{key}\n  {case.method} {case.formatted_path} "
                        f"query={case.query!r} body={body!r}\n"
                        f"  -> {response.status_code} {response.text[:300]}\n"
                        f"  {failure.message[:400]}"
                    )

    for result in schema.get_all_operations():
        operation = result.ok()
        label = _label(operation)
        began = time.monotonic()
        for case in _coverage_cases(schema, operation):
            exercise(label, case)
        examples = _examples(label, caller.role)
        _generated(operation, examples, functools.partial(exercise, label))()
        tally.seconds[label] = time.monotonic() - began
    return tally


def _served_operations(running: RunningApp) -> set[str]:
    served = set()
    for route in running.app.routes:
        if isinstance(route, WebSocketRoute):
            served.add(f"WEBSOCKET {route.path_format}")
        elif isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                # OPTIONS is Litestar's own answer on every path, and is fuzzed as such.
                for method in handler.http_methods - {"OPTIONS", "HEAD"}:
                    served.add(f"{method} {route.path_format}")
    return served


# Some 150 operations, each with its coverage cases and EXAMPLES generated ones: minutes, not
# the two the other tests get, on a machine shared with other work.
@pytest.mark.timeout(600)
@pytest.mark.parametrize("role", ["trader", "admin"])
async def test_every_operation_survives_generated_input(fuzzed: RunningApp, role: str) -> None:
    running = fuzzed
    raw = (await running.client.get("/schema/openapi.json")).json()
    documented = {
        f"{method.upper()} {path}" for path, item in raw["paths"].items() for method in item
    }
    # Nothing is left out silently: whatever the app serves is in the OpenAPI, or named above.
    # The web front-ends (/admin, /app) are files, not API: they are not in the OpenAPI.
    api = {op for op in _served_operations(running) if not op.split(" ")[1].startswith(FRONT_ENDS)}
    assert api - documented == NOT_IN_OPENAPI
    caller = await (_trader if role == "trader" else _admin)(running)

    started = time.monotonic()
    tally = await asyncio.to_thread(_fuzz, raw, running.base_url, caller)
    elapsed = time.monotonic() - started
    print(f"\n{role}: {sum(tally.calls.values())} calls in {elapsed:.1f}s")
    print(sorted(tally.statuses.items()))
    for label in sorted(documented):
        print(f"  {tally.calls[label]:4d} {tally.seconds[label]:5.1f}s {label}")

    assert tally.failures == {}, "\n\n".join(tally.failures.values())
    # Every operation was exercised with at least its number of examples, but for those that
    # take no input at all (no parameter, body or token: health, readiness, metrics), where
    # Hypothesis stops once it has nothing new to send.
    for label in documented:
        method, path = label.split(" ", 1)
        operation = raw["paths"][path][method.lower()]
        takes_input = operation.get("parameters") or "requestBody" in operation
        if takes_input or operation.get("security"):
            floor = _examples(label, role)
            assert tally.calls[label] >= floor, (label, tally.calls[label])
        else:
            assert tally.calls[label] >= 1, label
    # The run reached the API's logic, not only its refusals.
    assert any(200 <= status < 300 for status in tally.statuses), tally.statuses
