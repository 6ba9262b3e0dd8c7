"""What only the Dapr pub/sub adapter has: the wire format to the sidecar, the routes the sidecar
calls, health, the whole platform wired to a sidecar by `create_app`, several apps on one
sidecar, and the fake sidecar running as its own process (as multi-process tests use it)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
import msgspec
import pytest

from app import create_app
from modules.kernel.adapters.dapr_pubsub import DaprPubSub
from modules.kernel.events import DEAD_LETTER_TOPIC, CloudEvent, encode_envelope
from modules.kernel.ports import Delivery
from tests.conftest import serve
from tests.fakes.dapr_app import COMPONENTS, DaprApp, dapr_app, dapr_app_on, dapr_settings
from tests.fakes.dapr_sidecar import FakeDaprSidecar

TOPIC = "dapr-test.pinged.v1"


def envelope(topic: str = TOPIC, n: int = 1) -> CloudEvent:
    return CloudEvent(
        id=str(uuid.uuid4()),
        source="tests/dapr",
        type=topic,
        topic=topic,
        data=msgspec.Raw(msgspec.json.encode({"n": n})),
    )


def recorder(into: list[CloudEvent], verdicts: list[Delivery] | None = None) -> Any:
    script = list(verdicts or [])

    async def handle(event: CloudEvent) -> Delivery:
        into.append(event)
        return script.pop(0) if script else Delivery.SUCCESS

    return handle


@pytest.fixture
async def sidecar() -> AsyncIterator[FakeDaprSidecar]:
    async with FakeDaprSidecar(max_attempts=3) as fake:
        yield fake


@pytest.fixture
async def wired(sidecar: FakeDaprSidecar) -> AsyncIterator[DaprApp]:
    async with dapr_app_on(sidecar) as app:
        yield app


async def test_publish_hands_the_sidecar_our_cloudevent_as_is(
    sidecar: FakeDaprSidecar, wired: DaprApp
) -> None:
    message = envelope(n=5)
    await wired.pubsub.publish(message)

    [published] = sidecar.published
    assert published.pubsubname == "pubsub"
    assert published.topic == TOPIC
    assert published.content_type == "application/cloudevents+json"
    sent = published.envelope
    assert (sent["id"], sent["source"], sent["type"]) == (message.id, "tests/dapr", TOPIC)
    assert sent["data"] == {"n": 5}


async def test_subscribe_route_declares_one_subscription_per_topic(wired: DaprApp) -> None:
    for name in ("routing.a", "execution.b"):
        wired.pubsub.subscribe(TOPIC, name, recorder([]))
    wired.pubsub.subscribe(DEAD_LETTER_TOPIC, "ops.dead", recorder([]))

    response = await wired.app.client.get("/dapr/subscribe")
    assert response.status_code == 200
    assert sorted(response.json(), key=lambda s: s["topic"]) == [
        {
            "pubsubname": "pubsub",
            "topic": TOPIC,
            "route": f"/dapr/events/{TOPIC}",
            "deadLetterTopic": DEAD_LETTER_TOPIC,
        },
        {
            "pubsubname": "pubsub",
            "topic": DEAD_LETTER_TOPIC,
            "route": f"/dapr/events/{DEAD_LETTER_TOPIC}",
        },
    ]


async def test_event_route_answers_the_sidecar_protocol(wired: DaprApp) -> None:
    calls: list[CloudEvent] = []
    wired.pubsub.subscribe(TOPIC, "routing.a", recorder(calls, [Delivery.RETRY]))

    async def broken(event: CloudEvent) -> Delivery:
        raise RuntimeError("boom")

    wired.pubsub.subscribe("dapr-test.broken.v1", "routing.broken", broken)
    client = wired.app.client
    headers = {"content-type": "application/cloudevents+json"}
    body = encode_envelope(envelope())

    async def status(path: str, content: bytes) -> Any:
        response = await client.post(path, content=content, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    assert await status(f"/dapr/events/{TOPIC}", body) == {"status": "RETRY"}
    assert await status(f"/dapr/events/{TOPIC}", body) == {"status": "SUCCESS"}
    assert await status(f"/dapr/events/{TOPIC}", b"{not json") == {"status": "DROP"}
    assert await status(f"/dapr/events/{TOPIC}", b'{"id": 1}') == {"status": "DROP"}
    assert await status("/dapr/events/nobody.listens.v1", body) == {"status": "DROP"}
    broken_body = encode_envelope(envelope("dapr-test.broken.v1"))
    assert await status("/dapr/events/dapr-test.broken.v1", broken_body) == {"status": "RETRY"}
    assert len(calls) == 2


async def test_with_an_app_token_only_the_sidecar_may_call_the_routes() -> None:
    token = "app-token-" + uuid.uuid4().hex
    got: list[CloudEvent] = []
    async with FakeDaprSidecar(app_api_token=token) as sidecar:
        pubsub = DaprPubSub(dapr_settings(sidecar), app_api_token=token)
        pubsub.subscribe(TOPIC, "routing.a", recorder(got))
        async with serve(dapr_app(pubsub)) as app:
            sidecar.add_app(app.base_url)
            body = encode_envelope(envelope())
            forged = await app.client.post(f"/dapr/events/{TOPIC}", content=body)
            assert forged.status_code == 401
            assert forged.headers["content-type"].startswith("application/problem+json")
            wrong = {"dapr-api-token": "guess"}
            assert (await app.client.get("/dapr/subscribe", headers=wrong)).status_code == 401
            assert got == []

            await pubsub.start()
            try:
                message = envelope()
                await pubsub.publish(message)
                await sidecar.drain()
            finally:
                await pubsub.stop()
    assert [e.id for e in got] == [message.id]


async def test_ping_follows_sidecar_health(sidecar: FakeDaprSidecar, wired: DaprApp) -> None:
    assert await wired.pubsub.ping() is True
    sidecar.healthy = False
    assert await wired.pubsub.ping() is False
    sidecar.healthy = True
    assert await wired.pubsub.ping() is True


async def test_platform_runs_on_a_sidecar(make_settings: Any, sidecar: FakeDaprSidecar) -> None:
    """`create_app` with NIJA_PUBSUB=dapr NIJA_STATE=dapr: readiness, hidden routes, state,
    and a message round trip through the sidecar and the app's own HTTP routes."""
    settings = make_settings(
        modules=(),
        pubsub="dapr",
        state="dapr",
        dapr_grpc_address=sidecar.grpc_address,
        dapr_http_endpoint=sidecar.http_endpoint,
    )
    async with serve(create_app(settings)) as running:
        sidecar.add_app(running.base_url)
        runtime = running.runtime
        assert isinstance(runtime.pubsub, DaprPubSub)
        ready = await running.client.get("/ready")
        assert ready.status_code == 200 and ready.json()["checks"]["bus"] is True

        paths = (await running.client.get("/schema/openapi.json")).json()["paths"]
        assert not [p for p in paths if p.startswith("/dapr")]

        got: list[CloudEvent] = []
        runtime.pubsub.subscribe(TOPIC, "kernel.test", recorder(got))
        message = envelope(n=9)
        await runtime.pubsub.publish(message)
        await sidecar.drain()
        assert [(e.id, msgspec.json.decode(bytes(e.data or b""))) for e in got] == [
            (message.id, {"n": 9})
        ]

        store = runtime.state("kernel")
        await store.save("breaker:coinbase", b"open")
        item = await store.get("breaker:coinbase")
        assert item is not None and item.value == b"open"
        assert sidecar.state["statestore-kernel||breaker:coinbase"][0] == b"open"

        sidecar.healthy = False
        ready = await running.client.get("/ready")
        assert ready.status_code == 503 and ready.json()["checks"]["bus"] is False


async def test_every_app_on_one_sidecar_gets_its_own_copy(sidecar: FakeDaprSidecar) -> None:
    routing: list[CloudEvent] = []
    execution: list[CloudEvent] = []
    async with dapr_app_on(sidecar) as first, dapr_app_on(sidecar) as second:
        first.pubsub.subscribe(TOPIC, "routing.a", recorder(routing))
        second.pubsub.subscribe(TOPIC, "execution.b", recorder(execution, [Delivery.RETRY]))
        message = envelope()
        await first.pubsub.publish(message)
        await sidecar.drain()

    assert [e.id for e in routing] == [message.id]  # a retry elsewhere is not redelivered here
    assert [e.id for e in execution] == [message.id, message.id]
    outcomes = sorted((a.app_url == second.app.base_url, a.outcome) for a in sidecar.attempts)
    assert outcomes == [(False, "SUCCESS"), (True, "RETRY"), (True, "SUCCESS")]


@pytest.fixture
async def sidecar_process() -> AsyncIterator[dict[str, str]]:
    """`python -m tests.fakes.dapr_sidecar` on free ports, loading names from dapr/components."""
    command = [
        sys.executable,
        "-m",
        "tests.fakes.dapr_sidecar",
        "--grpc-port=0",
        "--http-port=0",
        f"--components={COMPONENTS}",
    ]
    process = await asyncio.create_subprocess_exec(*command, stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=15)
        yield json.loads(line)
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=10)


async def test_standalone_sidecar_process_serves_apps_added_at_runtime(
    sidecar_process: dict[str, str],
) -> None:
    settings = dapr_settings(SimpleNamespace(**sidecar_process))
    got: list[CloudEvent] = []
    pubsub = DaprPubSub(settings)
    pubsub.subscribe(TOPIC, "execution.b", recorder(got))
    admin = httpx.AsyncClient(base_url=settings.dapr_http_endpoint, timeout=10)
    async with admin, serve(dapr_app(pubsub)) as app:
        added = await admin.post("/fake/apps", json={"url": app.base_url})
        assert added.status_code == 204
        await pubsub.start()
        try:
            message = envelope(n=3)
            await pubsub.publish(message)
            drained = await admin.post("/fake/drain", json={"timeout": 5})
            assert drained.status_code == 204
        finally:
            await pubsub.stop()
    assert [e.id for e in got] == [message.id]
