"""Property-based run (schemathesis + hypothesis) over every identity endpoint: never a 5xx.

The app is the real one served by the `running` fixture; requests come from a worker thread so
the server keeps running on the test's event loop. Callers use enterprise-tier tokens (for a
real trader and a real admin) so the rate limiter leaves room for the examples, and the run is
bounded in examples per operation and in wall-clock time.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase

from modules.kernel.auth import Principal
from tests.conftest import RunningApp
from tests.identity.conftest import PASSWORD, new_email, register

IDENTITY_PREFIXES = ("/v1/auth", "/v1/settings/profile", "/v1/admin/users")
EXAMPLES = 12
SLOW_EXAMPLES = 4  # argon2 hashing makes these ~0.3 s a call
SLOW = ("/v1/auth/register", "/v1/auth/login", "/v1/auth/password", "/v1/auth/2fa/totp/disable")
BUDGET_SECONDS = 25  # per caller; two callers


def _identity_schema(raw: dict[str, Any]) -> dict[str, Any]:
    paths = {
        path: item for path, item in raw["paths"].items() if path.startswith(IDENTITY_PREFIXES)
    }
    return {**raw, "paths": paths}


def _fuzz(
    raw: dict[str, Any], base_url: str, headers: dict[str, str]
) -> tuple[Counter[int], list[str]]:
    schema = schemathesis.openapi.from_dict(raw)
    session = requests.Session()
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        if time.monotonic() - started > BUDGET_SECONDS:
            break
        examples = SLOW_EXAMPLES if operation.path in SLOW else EXAMPLES

        @hypothesis.settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @hypothesis.given(case=operation.as_strategy())
        def run(case: Any) -> None:
            call_headers = {**headers, **(case.headers or {})}
            response = case.call(
                base_url=base_url, session=session, headers=call_headers, timeout=15
            )
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} {case.body!r} -> "
                    f"{response.status_code} {response.text[:300]}"
                )

        run()
    return statuses, failures


async def test_no_identity_endpoint_answers_5xx_to_generated_input(running: RunningApp) -> None:
    trader_id = await register(running, new_email("fuzz"), PASSWORD)
    identity = running.app.state.platform.modules["identity"]
    admin_id = await identity.create_admin(new_email("fuzz-admin"), PASSWORD)
    tokens = running.runtime.tokens
    trader = tokens.issue(Principal(user_id=trader_id, role="trader", tier="enterprise"))
    # An admin who enrolled a second factor and proved it just now reaches every admin operation.
    admin = tokens.issue(
        Principal(
            user_id=admin_id,
            role="admin",
            tier="enterprise",
            second_factor=True,
            second_factor_at=int(time.time()),
        )
    )
    raw = (await running.client.get("/schema/openapi.json")).json()
    schema = _identity_schema(raw)
    assert len(schema["paths"]) >= 15, sorted(schema["paths"])

    for token in (trader, admin):
        headers = {"Authorization": f"Bearer {token}"}
        statuses, failures = await asyncio.to_thread(_fuzz, schema, running.base_url, headers)
        # The run really exercised the API: many calls, both accepted and refused ones.
        assert sum(statuses.values()) >= 100, statuses
        assert any(s < 300 for s in statuses) and any(400 <= s < 500 for s in statuses), statuses
        print(sorted(statuses.items()))
        assert failures == [], "\n".join(failures)
