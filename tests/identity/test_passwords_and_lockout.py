"""Password policy, password change, and brute-force limits (per account and per IP)."""

from __future__ import annotations

from typing import Any

from modules.identity.contracts import SecurityEventRaised
from tests.conftest import RunningApp
from tests.identity.conftest import (
    PASSWORD,
    FakeClock,
    bearer,
    login,
    new_email,
    problem,
    published,
    refresh,
    register,
    tokens_for,
)

WRONG = "definitely not the password"


async def test_short_common_and_monotonous_passwords_are_refused(running: RunningApp) -> None:
    async def attempt(password: str) -> object:
        return await running.client.post(
            "/v1/auth/register", json={"email": new_email(), "password": password}
        )

    problem(await attempt("elevenchars"), 400, "invalid_request")  # 11 < 12
    common_ones = ("qwerty123456", "1q2w3e4r5t6y", "QWERTY123456", "Dragon2024!!!!", "iloveyou1234")
    for common in common_ones:
        body = problem(await attempt(common), 422, "weak_password")
        assert "common" in body["detail"]
    problem(await attempt("aaaaaaaaaaaaaaaa"), 422, "weak_password")
    assert (await attempt("plum orbit kettle 58")).status_code == 201


async def test_five_failures_lock_the_account_for_fifteen_minutes(
    running: RunningApp, clock: FakeClock
) -> None:
    email = new_email()
    user_id = await register(running, email)
    for _ in range(5):
        problem(await login(running, email, WRONG), 401, "invalid_credentials")
    # Locked: even the right password is refused, and the client is told when to come back.
    locked = await login(running, email)
    problem(locked, 429, "too_many_attempts")
    assert locked.headers["retry-after"] == "900"
    assert "access_token" not in locked.text

    clock.advance(minutes=14, seconds=58)
    still = await login(running, email)
    problem(still, 429, "too_many_attempts")
    assert still.headers["retry-after"] == "2"
    clock.advance(seconds=2)
    assert (await login(running, email)).status_code == 200

    lockouts = [e for e in await published(running, SecurityEventRaised) if e.kind == "lockout"]
    assert [e.user_id for e in lockouts] == [user_id]


async def test_a_success_clears_the_count_and_old_failures_age_out(
    running: RunningApp, clock: FakeClock
) -> None:
    email = new_email()
    await register(running, email)
    for _ in range(4):
        problem(await login(running, email, WRONG), 401, "invalid_credentials")
    assert (await login(running, email)).status_code == 200
    for _ in range(4):
        problem(await login(running, email, WRONG), 401, "invalid_credentials")
    clock.advance(minutes=15, seconds=1)  # those four fall out of the window
    for _ in range(4):
        problem(await login(running, email, WRONG), 401, "invalid_credentials")
    assert (await login(running, email)).status_code == 200


async def test_lockout_does_not_reveal_whether_the_email_exists(
    running: RunningApp, clock: FakeClock
) -> None:
    # The clock stands still, so both answers' Retry-After are comparable to the second.
    known, unknown = new_email(), new_email()
    await register(running, known)
    answers = []
    for email in (known, unknown):
        for _ in range(5):
            problem(await login(running, email, WRONG), 401, "invalid_credentials")
        response = await login(running, email, WRONG)
        body = problem(response, 429, "too_many_attempts")
        body.pop("request_id")
        answers.append((body, response.headers["retry-after"]))
    assert answers[0] == answers[1]


async def test_many_failures_from_one_ip_block_that_ip(
    running: RunningApp, clock: FakeClock
) -> None:
    email = new_email()
    await register(running, email)
    for _ in range(20):  # spread over many addresses: no single account reaches its limit
        problem(await login(running, new_email(), WRONG), 401, "invalid_credentials")
    problem(await login(running, email), 429, "too_many_attempts")
    clock.advance(minutes=15, seconds=1)
    assert (await login(running, email)).status_code == 200


async def test_password_change_needs_the_current_one_and_ends_every_session(
    running: RunningApp,
) -> None:
    email = new_email()
    user_id = await register(running, email)
    first = await tokens_for(running, email)
    second = await tokens_for(running, email)
    headers = bearer(first["access_token"])

    async def change(current: str, new: str) -> object:
        return await running.client.post(
            "/v1/auth/password",
            json={"current_password": current, "new_password": new},
            headers=headers,
        )

    problem(await change(WRONG, "a brand new pass phrase"), 403, "reauthentication_failed")
    problem(await change(PASSWORD, "qwerty123456"), 422, "weak_password")
    problem(await change(PASSWORD, PASSWORD), 422, "password_unchanged")
    response = await change(PASSWORD, "a brand new pass phrase")
    assert response.status_code == 204, response.text

    for old in (first, second):
        problem(await refresh(running, old["refresh_token"]), 401, "invalid_refresh_token")
    problem(await login(running, email), 401, "invalid_credentials")
    assert (await login(running, email, "a brand new pass phrase")).status_code == 200
    changed = [e for e in await published(running, SecurityEventRaised)]
    assert [(e.user_id, e.kind) for e in changed] == [(user_id, "password_changed")]
    assert "pass phrase" not in str(changed)


async def _spoofed_failures(running: RunningApp, count: int) -> None:
    for n in range(count):  # each from a "different" address, if the header were believed
        response = await running.client.post(
            "/v1/auth/login",
            json={"email": new_email(), "password": WRONG},
            headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
        )
        problem(response, 401, "invalid_credentials")


async def test_a_forged_forwarded_for_does_not_dodge_the_ip_lock(
    running: RunningApp, clock: FakeClock
) -> None:
    """Without NIJA_TRUSTED_PROXIES nobody's X-Forwarded-For is believed: the peer is locked."""
    email = new_email()
    await register(running, email)
    await _spoofed_failures(running, 20)
    problem(await login(running, email), 429, "too_many_attempts")


async def test_a_trusted_proxy_names_the_client(make_settings: Any, database_url: str) -> None:
    """Behind a proxy we trust, failures count against the address it forwarded."""
    from app import create_app
    from tests.conftest import serve, truncate_all

    await truncate_all(database_url)
    settings = make_settings(trusted_proxies=("127.0.0.0/8",))
    async with serve(create_app(settings)) as running:
        email = new_email()
        await register(running, email)
        await _spoofed_failures(running, 20)  # twenty clients, one failure each
        assert (await login(running, email)).status_code == 200
        for _ in range(20):
            await running.client.post(
                "/v1/auth/login",
                json={"email": new_email(), "password": WRONG},
                headers={"X-Forwarded-For": "198.51.100.7, 127.0.0.1"},
            )
        locked = await running.client.post(
            "/v1/auth/login",
            json={"email": email, "password": PASSWORD},
            headers={"X-Forwarded-For": "198.51.100.7"},
        )
        problem(locked, 429, "too_many_attempts")
        assert (await login(running, email)).status_code == 200  # the proxy itself is not locked
