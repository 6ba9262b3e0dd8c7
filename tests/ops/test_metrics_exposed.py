"""Every series the Grafana dashboard or the alerting rules query is one the platform exposes.

The whole platform runs (embedded adapters); a trader signs up over HTTP, stores a credential,
opens the live socket, places a market order and sees it filled, and somebody fails five
sign-ins on one address (a lock-out). Then `/metrics` must declare every series named in
nomad/grafana/nija.json and nomad/prometheus/alerts.yml, and carry samples of it: a name the
platform does not expose (a typo, a metric renamed in the code) is an empty panel and an alert
that can never fire.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from modules.execution.contracts import OrderFilled
from modules.identity.domain.throttle import ACCOUNT_FAILURE_LIMIT
from tests.conftest import RunningApp, register_and_login
from tests.dashboard.helpers import open_socket
from tests.ops.deployment import referenced_metrics

# Series that have samples only once what they count has happened, with why that is not made
# to happen here. The rules on them are unit-tested (alerts.test.yml).
DECLARED_ONLY = {
    # A dead letter needs a subscriber failing every delivery attempt of a message.
    "nija_dead_letters_total",
}
_SUFFIXES = ("_total", "_bucket", "_sum", "_count", "_created")


def exposition(text: str) -> tuple[set[str], set[str]]:
    """The series names `/metrics` declares (by their TYPE lines) and those with samples."""
    declared: set[str] = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\w+)$", text, re.MULTILINE):
        base = name.removesuffix("_total") if kind == "counter" else name
        declared.add(name)
        suffixes = {"counter": ("_total", "_created"), "histogram": _SUFFIXES[1:]}
        declared.update(base + suffix for suffix in suffixes.get(kind, ()))
    sampled = {
        line.split("{")[0].split(" ")[0]
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    return declared, sampled


async def fill_an_order(running: RunningApp) -> None:
    client = running.client
    headers = await register_and_login(client)
    stored = await client.post(
        "/v1/credentials",
        json={"venue": "kraken", "api_key": f"key-{uuid.uuid4().hex}", "api_secret": "s" * 32},
        headers=headers,
    )
    assert stored.status_code == 201, stored.text
    roomy = {"equity_usd": "1000000000", "risk_level": "high"}
    assert (await client.patch("/v1/settings/trading", json=roomy, headers=headers)).is_success
    socket = await open_socket(running, headers["Authorization"].split()[1])
    try:
        order = {"symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.001"}
        deadline = time.monotonic() + 30
        while True:  # execution learns of the credential through the bus
            await running.settle()
            placed = await client.post("/v1/orders", json=order, headers=headers)
            if placed.status_code == 202 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        assert placed.status_code == 202, placed.text
        order_id = placed.json()["id"]
        while True:
            await running.settle()
            seen = (await client.get(f"/v1/orders/{order_id}", headers=headers)).json()
            if seen["status"] == "filled" or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        assert seen["status"] == "filled", seen
        # While the socket is open.
        assert value(await scrape(running), "nija_ws_connections") == 1, "the socket is counted"
    finally:
        await socket.close()


async def lock_out_an_address(running: RunningApp) -> None:
    email = f"victim-{uuid.uuid4().hex[:8]}@example.com"
    for _ in range(ACCOUNT_FAILURE_LIMIT):
        wrong = {"email": email, "password": "not the password 0"}
        response = await running.client.post("/v1/auth/login", json=wrong)
        assert response.status_code == 401, response.text


async def scrape(running: RunningApp) -> str:
    response = await running.client.get("/metrics")
    assert response.status_code == 200
    return response.text


async def test_every_series_the_dashboard_and_the_rules_query_is_exposed(
    running: RunningApp,
) -> None:
    await fill_an_order(running)
    await lock_out_an_address(running)
    await running.settle()
    # The bot census and the venues' health report run on their own periods; run them now.
    strategy: Any = running.app.state.platform.modules["strategy"]
    await strategy._census.run_once()
    declared, sampled = exposition(await scrape(running))

    wanted = referenced_metrics()
    assert len(wanted) >= 12, sorted(wanted)
    missing = sorted(wanted - declared)
    assert not missing, f"queried by the dashboard or the rules, not exposed: {missing}"
    silent = sorted(wanted - sampled - DECLARED_ONLY)
    assert not silent, f"exposed without samples after an order and a lock-out: {silent}"
    # What this run did is what the series say.
    text = await scrape(running)
    for stage in ("accept", "fill"):
        labels = {"stage": stage, "venue": "kraken", "order_type": "market"}
        assert value(text, "nija_order_path_seconds_count", **labels) == 1
    assert value(text, "nija_vault_unseals_total", outcome="ok", venue="kraken") == 1
    assert value(text, "nija_identity_lockouts_total") == 1
    routed = {"venue": "kraken", "signal": "entry", "kind": "route"}  # a buy opens a position
    assert value(text, "nija_trades_routed_total", **routed) == 1
    # Each subscriber of the fill counted its delivery, and shows every outcome from the start
    # (a zero is a series an alert's rate() can read before the first failure).
    handled = [
        sample
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "nija_events_handled_total"
        and sample.labels["topic"] == OrderFilled.TOPIC
    ]
    subscribers = {sample.labels["subscriber"] for sample in handled}
    assert len(subscribers) >= 2, handled
    for subscriber in subscribers:
        outcomes = {
            s.labels["outcome"]: s.value for s in handled if s.labels["subscriber"] == subscriber
        }
        assert set(outcomes) == {"success", "retry", "drop", "error"}, outcomes
        assert outcomes["success"] + outcomes["drop"] == 1 and outcomes["error"] == 0, outcomes


def value(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return None
