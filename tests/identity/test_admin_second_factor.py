"""The admin API needs an enrolled second factor, and its actions on money or access a fresh
proof of it (step-up), over HTTP against the whole platform."""

from __future__ import annotations

import time
from typing import Any

from modules.kernel.auth import Principal
from tests.conftest import RunningApp
from tests.identity.conftest import (
    PASSWORD,
    bearer,
    enrol_totp,
    new_email,
    problem,
    register,
    step_up,
    tokens_for,
)


async def _admin(running: RunningApp) -> tuple[str, dict[str, str]]:
    """A freshly created admin signed in with the password only: (user id, headers)."""
    email = new_email("admin")
    identity = running.app.state.platform.modules["identity"]
    admin_id: str = await identity.create_admin(email, PASSWORD)
    return admin_id, bearer((await tokens_for(running, email))["access_token"])


def _sensitive(user_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Every admin action that changes money or access."""
    return [
        ("POST", f"/v1/admin/users/{user_id}/suspend", {"reason": "fraud review"}),
        ("POST", f"/v1/admin/users/{user_id}/reinstate", None),
        ("PUT", f"/v1/admin/users/{user_id}/tier", {"tier": "pro"}),
        ("POST", "/v1/admin/kill-switch", {"scope": "global", "active": True}),
        ("POST", "/v1/admin/kill-switch", {"scope": "global", "active": False}),
        ("POST", f"/v1/admin/users/{user_id}/trading/resume", None),
        ("POST", "/v1/admin/venues/coinbase/breaker/reset", None),
        ("POST", "/v1/admin/venues/coinbase/faults", {"error_rate": 0.0}),
    ]


READS = ("/v1/admin/users", "/v1/admin/venues", "/v1/admin/routing", "/v1/admin/audit")


async def test_an_admin_without_a_second_factor_is_refused_everywhere_in_the_admin_api(
    running: RunningApp,
) -> None:
    _, admin = await _admin(running)
    trader = await register(running, new_email())
    for path in READS:
        response = await running.client.get(path, headers=admin)
        body = problem(response, 403, "second_factor_required_for_admin")
        assert "second factor" in body["detail"]
    for method, path, body in _sensitive(trader):
        response = await running.client.request(method, path, json=body, headers=admin)
        problem(response, 403, "second_factor_required_for_admin")
    # What the admin needs to get there is open to them.
    assert (await running.client.get("/v1/auth/me", headers=admin)).status_code == 200


async def test_money_and_access_actions_need_a_fresh_proof_reads_do_not(
    running: RunningApp,
) -> None:
    admin_id, password_only = await _admin(running)
    app = await enrol_totp(running, password_only)
    # Enrolled, but the token in hand predates it: still refused until the factor is proved.
    problem(
        await running.client.get("/v1/admin/users", headers=password_only),
        403,
        "second_factor_required_for_admin",
    )
    trader = await register(running, new_email())
    # Proved ten minutes ago: enough to look, not to act.
    stale = bearer(
        running.runtime.tokens.issue(
            Principal(
                user_id=admin_id,
                role="admin",
                second_factor=True,
                second_factor_at=int(time.time()) - 600,
            )
        )
    )
    for path in READS:
        response = await running.client.get(path, headers=stale)
        assert response.status_code == 200, (path, response.text)
    for method, path, body in _sensitive(trader):
        response = await running.client.request(method, path, json=body, headers=stale)
        problem(response, 403, "step_up_required")

    fresh = await step_up(running, password_only, app)
    suspended = await running.client.post(
        f"/v1/admin/users/{trader}/suspend", json={"reason": "fraud review"}, headers=fresh
    )
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["user"]["status"] == "suspended"
    for method, path, body in _sensitive(trader)[1:]:
        response = await running.client.request(method, path, json=body, headers=fresh)
        assert response.status_code == 200, (method, path, response.text)


async def test_a_trader_is_still_told_the_admin_role_is_needed(running: RunningApp) -> None:
    email = new_email()
    user_id = await register(running, email)
    headers = bearer((await tokens_for(running, email))["access_token"])
    app = await enrol_totp(running, headers)
    fresh = await step_up(running, headers, app)
    for method, path, body in _sensitive(user_id):
        response = await running.client.request(method, path, json=body, headers=fresh)
        problem(response, 403, "admin_required")
