"""Raising one's own risk limits is a sensitive action: it needs a fresh second factor."""

from __future__ import annotations

import time
import uuid

from modules.kernel.auth import Principal
from tests.conftest import RunningApp


def _headers(running: RunningApp, user_id: str, proved_at: int | None) -> dict[str, str]:
    principal = Principal(
        user_id=user_id, role="trader", second_factor=True, second_factor_at=proved_at
    )
    return {"Authorization": f"Bearer {running.runtime.tokens.issue(principal)}"}


async def test_lowering_is_free_raising_needs_a_recent_second_factor(running: RunningApp) -> None:
    user_id = str(uuid.uuid4())
    stale = _headers(running, user_id, int(time.time()) - 3600)
    client = running.client

    lowered = await client.patch(
        "/v1/settings/trading",
        json={"risk_level": "low", "max_daily_loss_usd": "100"},
        headers=stale,
    )
    assert lowered.status_code == 200, lowered.text

    for raise_body in (
        {"risk_level": "high"},
        {"max_daily_loss_usd": "5000"},
        {"equity_usd": "1000000000"},
    ):
        refused = await client.patch("/v1/settings/trading", json=raise_body, headers=stale)
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "step_up_required"

    settings = (await client.get("/v1/settings/trading", headers=stale)).json()
    assert settings["risk_level"] == "low" and settings["max_daily_loss_usd"] == "100"

    fresh = _headers(running, user_id, int(time.time()))
    raised = await client.patch("/v1/settings/trading", json={"risk_level": "high"}, headers=fresh)
    assert raised.status_code == 200, raised.text
    assert raised.json()["risk_level"] == "high"
