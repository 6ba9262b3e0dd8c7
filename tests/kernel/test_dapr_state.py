"""What only the Dapr state adapter has: the store it talks to per module, waiting for a sidecar
that is still starting, and sidecar errors that are not etag conflicts staying errors."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from dapr.clients.exceptions import DaprGrpcError, DaprInternalError

from modules.kernel.adapters.dapr_state import DaprStateStore
from modules.kernel.dapr_sidecar import close_shared_clients
from modules.kernel.ports import EtagMismatch
from tests.fakes.dapr_app import COMPONENTS, dapr_settings
from tests.fakes.dapr_sidecar import FakeDaprSidecar, components_in


@pytest.fixture
async def sidecar() -> AsyncIterator[FakeDaprSidecar]:
    _, stores = components_in(COMPONENTS)
    async with FakeDaprSidecar(pubsubs=(), state_stores=stores) as fake:
        try:
            yield fake
        finally:
            await close_shared_clients()


async def test_each_module_uses_its_own_component_with_name_key_prefix(
    sidecar: FakeDaprSidecar,
) -> None:
    settings = dapr_settings(sidecar)
    vault = DaprStateStore(settings, "vault")
    assert vault.store_name == "statestore-vault"
    await vault.save("rotation:u1", b"due")
    # keyPrefix "name": the row key in the shared table carries the component name.
    assert set(sidecar.state) == {"statestore-vault||rotation:u1"}


async def test_store_of_an_undeclared_component_fails_loudly(sidecar: FakeDaprSidecar) -> None:
    store = DaprStateStore(dapr_settings(sidecar), "nonexistent")
    with pytest.raises(DaprGrpcError):
        await store.get("k")
    with pytest.raises(DaprInternalError):
        await store.save("k", b"v", etag="1")  # INVALID_ARGUMENT, but not about an etag


async def test_refused_key_with_an_etag_is_not_mistaken_for_a_conflict(
    sidecar: FakeDaprSidecar,
) -> None:
    store = DaprStateStore(dapr_settings(sidecar), "routing")
    with pytest.raises(DaprInternalError) as refused:
        await store.save("a||b", b"v", etag="1")
    assert not isinstance(refused.value, EtagMismatch)
    assert "can't contain '||'" in str(refused.value)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_first_call_waits_for_a_sidecar_that_is_still_starting() -> None:
    _, stores = components_in(COMPONENTS)
    late = FakeDaprSidecar(
        pubsubs=(), state_stores=stores, grpc_port=_free_port(), http_port=_free_port()
    )
    store = DaprStateStore(dapr_settings(late), "execution")

    async def start_late() -> None:
        await asyncio.sleep(0.3)
        await late.start()

    try:
        _, item = await asyncio.gather(start_late(), store.get("queue:u1"))
        assert item is None
        await store.save("queue:u1", b"3")
        saved = await store.get("queue:u1")
        assert saved is not None and saved.value == b"3"
    finally:
        await close_shared_clients()
        await late.stop()
