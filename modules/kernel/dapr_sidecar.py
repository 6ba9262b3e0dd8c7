"""The connection to this process's Dapr sidecar, shared by the Dapr pub/sub and state adapters.

The SDK reads the sidecar's HTTP endpoint from its own settings and probes it synchronously; we
wait for the sidecar here first (without stalling the event loop) and keep one gRPC channel per
sidecar and event loop.
"""

from __future__ import annotations

import asyncio
import weakref

import httpx
from dapr.aio.clients import DaprClient
from dapr.conf import settings as dapr_settings

from modules.kernel.settings import Settings


def configure_sdk(settings: Settings) -> None:
    """Point the SDK at our sidecar.

    The SDK client probes `{DAPR_HTTP_ENDPOINT}/v1.0/healthz/outbound` before connecting and reads
    that endpoint from its own settings object, where an assigned value wins over the `DAPR_*`
    environment; the gRPC address is passed to the client explicitly.
    """
    endpoint = settings.dapr_http_endpoint.rstrip("/")
    dapr_settings.DAPR_HTTP_ENDPOINT = endpoint  # type: ignore[attr-defined]


async def wait_for_sidecar(http_endpoint: str, budget_seconds: float | None = None) -> None:
    """Wait until the sidecar reports its outbound side (components) ready.

    The SDK's own probe is synchronous and would stall the event loop while the sidecar starts,
    so we wait here first; the SDK's probe then succeeds at once.
    """
    loop = asyncio.get_running_loop()
    budget = float(dapr_settings.DAPR_HEALTH_TIMEOUT) if budget_seconds is None else budget_seconds
    deadline = loop.time() + budget
    url = f"{http_endpoint.rstrip('/')}/v1.0/healthz/outbound"
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            try:
                if (await client.get(url)).is_success:
                    return
            except httpx.HTTPError:
                pass
            if loop.time() >= deadline:
                raise TimeoutError(f"Dapr sidecar at {http_endpoint} not ready after {budget}s")
            await asyncio.sleep(0.1)


async def open_client(settings: Settings) -> DaprClient:
    await wait_for_sidecar(settings.dapr_http_endpoint)
    # Set right before the SDK reads it (no await in between), whatever else ran meanwhile.
    configure_sdk(settings)
    return DaprClient(address=settings.dapr_grpc_address)


async def sidecar_healthy(client: httpx.AsyncClient, http_endpoint: str) -> bool:
    try:
        response = await client.get(f"{http_endpoint.rstrip('/')}/v1.0/healthz")
    except httpx.HTTPError:
        return False
    return response.is_success


# `runtime.state(module)` builds a store per call, so the gRPC channel is shared per sidecar.
# A grpc.aio channel belongs to the event loop that created it, hence one set per loop.
_clients: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str, str], DaprClient]
] = weakref.WeakKeyDictionary()
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


async def shared_client(settings: Settings) -> DaprClient:
    loop = asyncio.get_running_loop()
    clients = _clients.setdefault(loop, {})
    key = (settings.dapr_grpc_address, settings.dapr_http_endpoint)
    client = clients.get(key)
    if client is None:
        async with _locks.setdefault(loop, asyncio.Lock()):
            client = clients.get(key)
            if client is None:
                client = clients[key] = await open_client(settings)
    return client


async def close_shared_clients() -> None:
    """Close this loop's shared sidecar channels (process shutdown, tests)."""
    clients = _clients.pop(asyncio.get_running_loop(), {})
    for client in clients.values():
        await client.close()  # type: ignore[no-untyped-call]
