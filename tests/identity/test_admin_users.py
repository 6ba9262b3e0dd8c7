"""Admin user management (search, detail, suspend, reinstate, tier) and the profile settings."""

from __future__ import annotations

import jwt

from modules.identity.contracts import (
    UserProfileChanged,
    UserReinstated,
    UserSuspended,
    UserTierChanged,
)
from tests.conftest import RunningApp
from tests.identity.conftest import (
    bearer,
    login,
    make_admin,
    new_email,
    problem,
    published,
    refresh,
    register,
    tokens_for,
)


async def test_admins_search_and_page_through_users(running: RunningApp) -> None:
    admin = await make_admin(running)
    ids = {name: await register(running, new_email(name)) for name in ("alpha", "beta", "gamma")}
    everyone = (await running.client.get("/v1/admin/users", headers=admin)).json()
    assert everyone["total"] == 4
    assert {"status", "two_factor_enabled", "suspended_at"} <= set(everyone["items"][0])

    found = (await running.client.get("/v1/admin/users?q=BETA", headers=admin)).json()
    assert [u["id"] for u in found["items"]] == [ids["beta"]] and found["total"] == 1
    # Wildcards in the search text are taken literally.
    for literal in ("%", "_", "\\"):
        response = await running.client.get("/v1/admin/users", params={"q": literal}, headers=admin)
        assert response.status_code == 200 and response.json()["total"] == 0
    page = (await running.client.get("/v1/admin/users?limit=2&offset=3", headers=admin)).json()
    assert len(page["items"]) == 1 and page["total"] == 4

    detail = await running.client.get(f"/v1/admin/users/{ids['gamma']}", headers=admin)
    assert detail.status_code == 200, detail.text
    assert detail.json()["user"]["status"] == "active" and detail.json()["active_sessions"] == 0
    missing = "00000000-0000-0000-0000-000000000000"
    problem(
        await running.client.get(f"/v1/admin/users/{missing}", headers=admin), 404, "user_not_found"
    )


async def test_admins_filter_users_by_tier_and_status(running: RunningApp) -> None:
    admin = await make_admin(running)
    ids = {name: await register(running, new_email(name)) for name in ("basic", "pro", "gone")}
    for name in ("pro", "gone"):
        tiered = await running.client.put(
            f"/v1/admin/users/{ids[name]}/tier", json={"tier": "pro"}, headers=admin
        )
        assert tiered.status_code == 200, tiered.text
    suspended = await running.client.post(
        f"/v1/admin/users/{ids['gone']}/suspend", json={"reason": "chargeback"}, headers=admin
    )
    assert suspended.status_code == 200, suspended.text

    async def listed(**params: str) -> tuple[list[str], int]:
        response = await running.client.get("/v1/admin/users", params=params, headers=admin)
        assert response.status_code == 200, response.text
        body = response.json()
        return [u["id"] for u in body["items"]], body["total"]

    assert await listed(tier="pro") == ([ids["pro"], ids["gone"]], 2)
    assert await listed(tier="pro", status="active") == ([ids["pro"]], 1)
    assert await listed(tier="enterprise") == ([], 0)
    # The admin (basic) and the untouched trader.
    assert (await listed(tier="basic"))[1] == 2
    assert ids["basic"] in (await listed(tier="basic", q="basic"))[0]
    problem(
        await running.client.get("/v1/admin/users?tier=gold", headers=admin),
        400,
        "invalid_request",
    )


async def test_admin_actions_name_the_acting_admin_in_the_audit_log(running: RunningApp) -> None:
    admin = await make_admin(running)
    admin_id = (await running.client.get("/v1/auth/me", headers=admin)).json()["id"]
    user_id = await register(running, new_email())
    base = f"/v1/admin/users/{user_id}"
    for method, path, body in (
        ("POST", f"{base}/suspend", {"reason": "chargeback"}),
        ("POST", f"{base}/reinstate", None),
        ("PUT", f"{base}/tier", {"tier": "pro"}),
    ):
        response = await running.client.request(method, path, json=body, headers=admin)
        assert response.status_code == 200, response.text
    suspended = await published(running, UserSuspended)
    assert [e.actor_id for e in suspended if e.user_id == user_id] == [admin_id]
    trail = await running.client.get("/v1/admin/audit", params={"user_id": user_id}, headers=admin)
    assert trail.status_code == 200, trail.text
    assert [(e["action"], e["actor_id"]) for e in reversed(trail.json()["items"])] == [
        ("admin_suspend", admin_id),
        ("admin_reinstate", admin_id),
        ("admin_tier_change", admin_id),
    ]


async def test_traders_cannot_use_the_admin_api(running: RunningApp) -> None:
    email = new_email()
    user_id = await register(running, email)
    headers = bearer((await tokens_for(running, email))["access_token"])
    for method, path, body in (
        ("GET", "/v1/admin/users", None),
        ("GET", f"/v1/admin/users/{user_id}", None),
        ("POST", f"/v1/admin/users/{user_id}/suspend", {"reason": "x"}),
        ("POST", f"/v1/admin/users/{user_id}/reinstate", None),
        ("PUT", f"/v1/admin/users/{user_id}/tier", {"tier": "enterprise"}),
    ):
        response = await running.client.request(method, path, json=body, headers=headers)
        problem(response, 403, "admin_required")


async def test_suspension_stops_login_refresh_and_existing_tokens(running: RunningApp) -> None:
    admin = await make_admin(running)
    email = new_email()
    user_id = await register(running, email)
    tokens = await tokens_for(running, email)
    headers = bearer(tokens["access_token"])

    async def suspend() -> object:
        return await running.client.post(
            f"/v1/admin/users/{user_id}/suspend", json={"reason": "chargeback"}, headers=admin
        )

    response = await suspend()
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["user"]["status"] == "suspended"
    assert detail["user"]["suspended_reason"] == "chargeback" and detail["active_sessions"] == 0
    assert (await suspend()).status_code == 200  # idempotent: no second event

    problem(await login(running, email), 403, "user_suspended")
    assert (await refresh(running, tokens["refresh_token"])).status_code in (401, 403)
    for path in ("/v1/auth/me", "/v1/settings/profile", "/v1/auth/sessions"):
        problem(await running.client.get(path, headers=headers), 403, "user_suspended")
    suspended = await published(running, UserSuspended)
    assert [(e.user_id, e.reason) for e in suspended] == [(user_id, "chargeback")]

    response = await running.client.post(f"/v1/admin/users/{user_id}/reinstate", headers=admin)
    assert response.status_code == 200 and response.json()["user"]["status"] == "active"
    assert (await login(running, email)).status_code == 200
    assert [e.user_id for e in await published(running, UserReinstated)] == [user_id]


async def test_an_admin_cannot_suspend_themselves(running: RunningApp) -> None:
    admin = await make_admin(running)
    me = (await running.client.get("/v1/auth/me", headers=admin)).json()["id"]
    response = await running.client.post(
        f"/v1/admin/users/{me}/suspend", json={"reason": "oops"}, headers=admin
    )
    problem(response, 409, "cannot_suspend_self")


async def test_tier_changes_are_published_and_reach_new_tokens(running: RunningApp) -> None:
    admin = await make_admin(running)
    email = new_email()
    user_id = await register(running, email)
    path = f"/v1/admin/users/{user_id}/tier"
    response = await running.client.put(path, json={"tier": "pro"}, headers=admin)
    assert response.status_code == 200 and response.json()["user"]["tier"] == "pro"
    assert (await running.client.put(path, json={"tier": "pro"}, headers=admin)).status_code == 200
    problem(
        await running.client.put(path, json={"tier": "gold"}, headers=admin), 400, "invalid_request"
    )
    token = (await tokens_for(running, email))["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["tier"] == "pro"
    changes = await published(running, UserTierChanged)
    assert [(e.user_id, e.tier) for e in changes] == [(user_id, "pro")]


async def test_profile_read_and_update(running: RunningApp) -> None:
    email = new_email()
    user_id = await register(running, email)
    headers = bearer((await tokens_for(running, email))["access_token"])
    profile = (await running.client.get("/v1/settings/profile", headers=headers)).json()
    assert profile == {
        "id": user_id,
        "email": email,
        "role": "trader",
        "tier": "basic",
        "display_name": "",
        "timezone": "UTC",
        "locale": "en",
        "two_factor_enabled": False,
        "devices": 0,
    }
    bell = await running.client.patch(
        "/v1/settings/profile", json={"display_name": "Ada\x07 L."}, headers=headers
    )
    assert bell.status_code == 422 and bell.json()["code"] == "control_characters"
    changed = await running.client.patch(
        "/v1/settings/profile",
        json={"display_name": "  Ada L. ", "timezone": "Europe/Paris", "locale": "fr-FR"},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert (await running.client.get("/v1/settings/profile", headers=headers)).json() == {
        **profile,
        "display_name": "Ada L.",
        "timezone": "Europe/Paris",
        "locale": "fr-FR",
    }
    for body, status, code in (
        ({"timezone": "Mars/Olympus"}, 422, "invalid_timezone"),
        ({"timezone": "../../etc/passwd"}, 422, "invalid_timezone"),
        ({"locale": "not a locale"}, 422, "invalid_locale"),
        ({"tier": "enterprise"}, 400, "invalid_request"),
        ({"email": "other@example.com"}, 400, "invalid_request"),
    ):
        response = await running.client.patch("/v1/settings/profile", json=body, headers=headers)
        problem(response, status, code)
    unchanged = await running.client.patch("/v1/settings/profile", json={}, headers=headers)
    assert unchanged.json()["timezone"] == "Europe/Paris"
    # Read models learn the profile at registration and after each change that wrote one.
    profiles = [e for e in await published(running, UserProfileChanged) if e.user_id == user_id]
    assert [(e.display_name, e.timezone, e.locale) for e in profiles] == [
        ("", "UTC", "en"),
        ("Ada L.", "Europe/Paris", "fr-FR"),
    ]
