"""Per-user API rate limits by tier (60 / 300 / 1000 a minute), app-wide, shared by replicas."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app import create_app
from modules.kernel.auth import Principal
from modules.kernel.ratelimit import STATE_NAME, RateLimited, TierRateLimiter
from tests.conftest import RunningApp, register_and_login, serve


class Clock:
    """A clock parked 10 s into a minute window, moved by hand."""

    def __init__(self) -> None:
        minute = datetime.now(UTC).replace(second=0, microsecond=0)
        self.now = minute + timedelta(minutes=1, seconds=10)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(running: RunningApp) -> Any:
    fake = Clock()
    previous = running.runtime.clock
    running.runtime.clock = fake
    yield fake
    running.runtime.clock = previous


async def test_a_basic_user_gets_60_requests_a_minute_then_429(
    running: RunningApp, clock: Clock
) -> None:
    headers = await register_and_login(running.client)
    for _ in range(60):
        response = await running.client.get("/v1/auth/me", headers=headers)
        assert response.status_code == 200, response.text
    for path in ("/v1/auth/me", "/v1/credentials"):  # every module's API shares the budget
        limited = await running.client.get(path, headers=headers)
        assert limited.status_code == 429, limited.text
        assert limited.headers["content-type"].startswith("application/problem+json")
        assert limited.json()["code"] == "rate_limited"
        assert limited.headers["retry-after"] == "50"
    # Another user is unaffected, and anonymous calls are not counted against anyone.
    other = await register_and_login(running.client)
    assert (await running.client.get("/v1/auth/me", headers=other)).status_code == 200
    assert (await running.client.get("/v1/auth/me")).status_code == 401

    clock.now += timedelta(seconds=50)  # the next window
    assert (await running.client.get("/v1/auth/me", headers=headers)).status_code == 200


async def test_a_burst_never_exceeds_the_budget(running: RunningApp, clock: Clock) -> None:
    headers = await register_and_login(running.client)
    for _ in range(50):
        assert (await running.client.get("/v1/auth/me", headers=headers)).status_code == 200
    burst = await asyncio.gather(
        *(running.client.get("/v1/auth/me", headers=headers) for _ in range(25))
    )
    assert sorted(r.status_code for r in burst) == [200] * 10 + [429] * 15


async def test_the_budget_is_shared_by_replicas(
    running: RunningApp, clock: Clock, make_settings: Any
) -> None:
    headers = await register_and_login(running.client)
    replica = create_app(make_settings())
    async with serve(replica) as other:
        other.runtime.clock = clock
        # Alternating replicas: together they never serve more than 60, and a share one of
        # them holds unspent (at most 6 of a basic user's 60) is all the other may miss.
        statuses = []
        for index in range(80):
            client = running.client if index % 2 else other.client
            statuses.append((await client.get("/v1/auth/me", headers=headers)).status_code)
        assert set(statuses) == {200, 429}
        assert 60 - 6 <= statuses.count(200) <= 60
        assert statuses[-2:] == [429, 429], "both replicas refuse once the budget is spent"


async def test_each_tier_has_its_own_budget(running: RunningApp, clock: Clock) -> None:
    limiter = TierRateLimiter(running.runtime.state(STATE_NAME), clock)
    for tier, budget in (("basic", 60), ("pro", 300), ("enterprise", 1000), ("unknown", 60)):
        user = str(uuid.uuid4())
        left = [await limiter.hit(user, tier) for _ in range(budget)]
        assert left[0] == budget - 1 and left[-1] == 0
        with pytest.raises(RateLimited) as limited:
            await limiter.hit(user, tier)
        assert limited.value.retry_after == 50


async def test_a_pro_token_is_served_past_the_basic_budget(
    running: RunningApp, clock: Clock
) -> None:
    user_id = str(uuid.uuid4())
    token = running.runtime.tokens.issue(Principal(user_id=user_id, role="trader", tier="pro"))
    headers = {"Authorization": f"Bearer {token}"}
    codes = [
        (await running.client.get("/v1/credentials", headers=headers)).status_code
        for _ in range(61)
    ]
    assert 429 not in codes and len(set(codes)) == 1


async def test_tier_budgets_come_from_settings(make_settings: Any, database_url: str) -> None:
    from app import create_app
    from modules.kernel.auth import Principal
    from tests.conftest import serve, truncate_all

    await truncate_all(database_url)
    settings = make_settings(api_rate_limits_per_minute={"basic": 3})
    async with serve(create_app(settings)) as running:
        token = running.runtime.tokens.issue(Principal(user_id="u-budget", role="trader"))
        headers = {"Authorization": f"Bearer {token}"}
        statuses = [
            (await running.client.get("/v1/orders", headers=headers)).status_code for _ in range(4)
        ]
    assert statuses == [200, 200, 200, 429]


class CountingStore:
    """The state store, counting the writes that go through it."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.saves = 0

    async def get(self, key: str) -> Any:
        return await self._store.get(key)

    async def save(self, key: str, value: bytes, **kwargs: Any) -> Any:
        self.saves += 1
        return await self._store.save(key, value, **kwargs)


async def test_a_replica_writes_once_per_share_of_the_budget(
    running: RunningApp, clock: Clock
) -> None:
    store = CountingStore(running.runtime.state(STATE_NAME))
    limiter = TierRateLimiter(store, clock)  # type: ignore[arg-type]
    user = str(uuid.uuid4())
    left = [await limiter.hit(user, "basic") for _ in range(60)]
    assert left == list(range(59, -1, -1))
    # Shares of 1, 2 and 4, then of 6 (a tenth of the minute's 60): 12 writes, not 60.
    assert store.saves == 3 + 9
    with pytest.raises(RateLimited):
        await limiter.hit(user, "basic")


async def test_replicas_sharing_a_budget_never_serve_more_than_it(
    running: RunningApp, clock: Clock
) -> None:
    """Each replica holds at most one share (6 of 60) unspent: together they never serve more
    than 60, and refuse at most one share per other replica early."""
    store = running.runtime.state(STATE_NAME)
    replicas = [TierRateLimiter(store, clock) for _ in range(3)]
    user = str(uuid.uuid4())
    served = 0
    refused_by: set[int] = set()
    for index in range(120):
        try:
            await replicas[index % 3].hit(user, "basic")
            served += 1
        except RateLimited:
            refused_by.add(index % 3)
    assert 60 - 2 * 6 <= served <= 60 and refused_by == {0, 1, 2}
