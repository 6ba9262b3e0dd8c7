"""Wiring for tests of the Dapr adapters: settings pointing at a fake sidecar, and the smallest
app the sidecar can deliver to (the `DaprPubSub.routes()` handlers served by uvicorn)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Protocol

from litestar import Litestar

from modules.kernel.adapters.dapr_pubsub import DaprPubSub
from modules.kernel.errors import EXCEPTION_HANDLERS
from modules.kernel.settings import Settings, load_settings
from tests.conftest import RunningApp, serve
from tests.fakes.dapr_sidecar import FakeDaprSidecar

COMPONENTS = os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", "dapr", "components")
)


class Sidecar(Protocol):
    grpc_address: str
    http_endpoint: str


def dapr_settings(sidecar: Sidecar, **overrides: Any) -> Settings:
    """Settings of a process whose Dapr sidecar is `sidecar` (a fake, or its printed addresses)."""
    return load_settings(
        environ={},
        pubsub="dapr",
        state="dapr",
        dapr_grpc_address=sidecar.grpc_address,
        dapr_http_endpoint=sidecar.http_endpoint,
        **overrides,
    )


def dapr_app(pubsub: DaprPubSub) -> Litestar:
    app = Litestar(route_handlers=DaprPubSub.routes(), exception_handlers=EXCEPTION_HANDLERS)
    app.state.runtime = SimpleNamespace(pubsub=pubsub)
    return app


@dataclass
class DaprApp:
    pubsub: DaprPubSub
    app: RunningApp


@contextlib.asynccontextmanager
async def dapr_app_on(sidecar: FakeDaprSidecar) -> AsyncIterator[DaprApp]:
    """A started `DaprPubSub` whose app side is served over HTTP and known to `sidecar`."""
    pubsub = DaprPubSub(dapr_settings(sidecar))
    async with serve(dapr_app(pubsub)) as app:
        sidecar.add_app(app.base_url)
        await pubsub.start()
        try:
            yield DaprApp(pubsub, app)
        finally:
            await pubsub.stop()
