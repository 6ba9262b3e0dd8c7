"""A fake Dapr sidecar (daprd) for tests, built on the `dapr` package's own generated gRPC stubs.

The real binary cannot be installed on the build machines. This stands in for it at the two
boundaries our adapters touch, with the sidecar's observable behaviour:

- gRPC API (`dapr.proto.runtime.v1.Dapr`, in `dapr_servicer.py`): PublishEvent, GetState,
  SaveState, DeleteState.
  State is one table shared by every store, keys stored as `<store>||<key>` (`keyPrefix: name`),
  etags are unique string counters, a stale etag is gRPC ABORTED with Dapr's message, an
  unparsable one INVALID_ARGUMENT, an unknown store INVALID_ARGUMENT.
- HTTP API: `/v1.0/healthz` and `/v1.0/healthz/outbound` (the SDK client probes the latter
  synchronously while being constructed, so the HTTP side runs on its own thread).
- App channel: reads `GET /dapr/subscribe` of every app it serves (lazily, when a message needs
  routing) and POSTs each message to the subscribed route as a structured CloudEvent. RETRY,
  a non-2xx answer other than 404, or a connection error is redelivered with exponential backoff
  up to `max_attempts`, then the original envelope goes to the subscription's dead-letter topic;
  DROP and 404 discard it. Each app is its own consumer group, like one Dapr app id.

In-process: `async with FakeDaprSidecar(app_urls=[...]) as sidecar: ...; await sidecar.drain()`.
Standalone (one bus for several app processes):
`python -m tests.fakes.dapr_sidecar --app-url URL [--app-url URL2] --grpc-port N --http-port M`,
then `POST /fake/apps {"url": ...}` adds an app and `POST /fake/drain` waits until idle.
`APP_API_TOKEN` in its environment is sent to the apps as `dapr-api-token`, as daprd does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import grpc
import httpx
import yaml
from dapr.proto.runtime.v1.dapr_pb2_grpc import add_DaprServicer_to_server

from tests.fakes.dapr_servicer import DaprApi

log = logging.getLogger("fake.daprd")
CLOUDEVENTS_JSON = "application/cloudevents+json"


@dataclass(frozen=True)
class Route:
    pubsubname: str
    topic: str
    route: str
    dead_letter_topic: str | None


@dataclass
class Published:
    pubsubname: str
    topic: str
    content_type: str
    envelope: dict[str, Any]


@dataclass
class Attempt:
    app_url: str
    topic: str
    event_id: str
    outcome: str  # SUCCESS | RETRY | DROP | ERROR


@dataclass
class _App:
    url: str
    routes: list[Route] | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def components_in(path: str) -> tuple[set[str], set[str]]:
    """Names of the pub/sub and state store components declared in a resources folder."""
    pubsubs: set[str] = set()
    stores: set[str] = set()
    for name in sorted(os.listdir(path)):
        if not name.endswith((".yaml", ".yml")):
            continue
        with open(os.path.join(path, name), encoding="utf-8") as handle:
            doc = yaml.safe_load(handle)
        if not isinstance(doc, dict) or doc.get("kind") != "Component":
            continue
        kind = str(doc["spec"]["type"])
        if kind.startswith("pubsub."):
            pubsubs.add(doc["metadata"]["name"])
        elif kind.startswith("state."):
            stores.add(doc["metadata"]["name"])
    return pubsubs, stores


class FakeDaprSidecar:
    def __init__(
        self,
        *,
        app_urls: Sequence[str] = (),
        pubsubs: Iterable[str] | None = ("pubsub",),
        state_stores: Iterable[str] | None = None,
        max_attempts: int = 3,
        retry_base_seconds: float = 0.01,
        retry_max_seconds: float = 0.2,
        delivery_timeout_seconds: float = 30.0,
        subscribe_wait_seconds: float = 10.0,
        host: str = "127.0.0.1",
        grpc_port: int = 0,
        http_port: int = 0,
        app_api_token: str | None = None,
    ) -> None:
        self.app_api_token = app_api_token
        self.pubsubs = None if pubsubs is None else set(pubsubs)
        self.state_stores = None if state_stores is None else set(state_stores)
        self.max_attempts = max_attempts
        self.retry_base_seconds = retry_base_seconds
        self.retry_max_seconds = retry_max_seconds
        self.delivery_timeout_seconds = delivery_timeout_seconds
        self.subscribe_wait_seconds = subscribe_wait_seconds
        self.host = host
        self.healthy = True
        self.published: list[Published] = []
        self.attempts: list[Attempt] = []
        self.state: dict[str, tuple[bytes, str]] = {}
        self._apps: dict[str, _App] = {url.rstrip("/"): _App(url.rstrip("/")) for url in app_urls}
        self._etag_counter = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._grpc_port = grpc_port
        self._http_port = http_port
        self._grpc: grpc.aio.Server | None = None
        self._http: ThreadingHTTPServer | None = None
        self._http_thread: threading.Thread | None = None
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # ---- lifecycle -------------------------------------------------------------------------

    @property
    def grpc_address(self) -> str:
        return f"{self.host}:{self._grpc_port}"

    @property
    def http_endpoint(self) -> str:
        return f"http://{self.host}:{self._http_port}"

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._client = httpx.AsyncClient(timeout=self.delivery_timeout_seconds)
        self._grpc = grpc.aio.server()
        add_DaprServicer_to_server(DaprApi(self), self._grpc)
        self._grpc_port = self._grpc.add_insecure_port(f"{self.host}:{self._grpc_port}")
        await self._grpc.start()
        self._http = ThreadingHTTPServer((self.host, self._http_port), _http_handler(self))
        self._http.daemon_threads = True
        self._http_port = self._http.server_address[1]
        self._http_thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._http_thread.start()

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._http is not None:
            await asyncio.to_thread(self._http.shutdown)
            self._http.server_close()
            self._http = None
        if self._grpc is not None:
            await self._grpc.stop(grace=None)
            self._grpc = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __aenter__(self) -> FakeDaprSidecar:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ---- apps and subscriptions ------------------------------------------------------------

    def add_app(self, url: str) -> None:
        url = url.rstrip("/")
        self._apps.setdefault(url, _App(url))

    def refresh_subscriptions(self) -> None:
        """Forget the subscriptions read so far; they are read again for the next message."""
        for app in self._apps.values():
            app.routes = None

    async def _routes_of(self, app: _App) -> list[Route]:
        async with app.lock:
            if app.routes is not None:
                return app.routes
            # Like daprd, wait for the app to come up before reading its subscriptions.
            assert self._client is not None
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.subscribe_wait_seconds
            while True:
                try:
                    response = await self._client.get(
                        f"{app.url}/dapr/subscribe", headers=self._app_headers()
                    )
                    response.raise_for_status()
                    app.routes = [_route(item) for item in response.json()]
                    return app.routes
                except (httpx.HTTPError, ValueError, KeyError):
                    if loop.time() >= deadline:
                        log.warning("app %s gave no subscriptions", app.url)
                        return []
                    await asyncio.sleep(0.05)

    # ---- pub/sub ---------------------------------------------------------------------------

    def publish(self, pubsubname: str, topic: str, data: bytes, content_type: str) -> None:
        """What PublishEvent does once validated: build the envelope and route it."""
        envelope = _envelope(pubsubname, topic, data, content_type)
        self.published.append(Published(pubsubname, topic, content_type, envelope))
        self._spawn(self._route_message(pubsubname, topic, json.dumps(envelope).encode()))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _app_headers(self) -> dict[str, str]:
        # daprd sends APP_API_TOKEN on every call to the app when it is configured.
        return {"dapr-api-token": self.app_api_token} if self.app_api_token else {}

    async def _route_message(self, pubsubname: str, topic: str, body: bytes) -> None:
        for app in list(self._apps.values()):
            for route in await self._routes_of(app):
                if route.pubsubname == pubsubname and route.topic == topic:
                    self._spawn(self._deliver(app, route, body))

    async def _deliver(self, app: _App, route: Route, body: bytes) -> None:
        event_id = str(json.loads(body).get("id", ""))
        for attempt in range(1, self.max_attempts + 1):
            outcome = await self._post(app, route, body)
            self.attempts.append(Attempt(app.url, route.topic, event_id, outcome))
            if outcome in ("SUCCESS", "DROP"):
                return
            if attempt < self.max_attempts:
                delay = self.retry_base_seconds * 2 ** (attempt - 1)
                await asyncio.sleep(min(delay, self.retry_max_seconds))
        if route.dead_letter_topic:
            log.warning("dead-lettering %s from %s", event_id, route.topic)
            # Dapr publishes the original message, unchanged, on the dead-letter topic.
            self._spawn(self._route_message(route.pubsubname, route.dead_letter_topic, body))

    async def _post(self, app: _App, route: Route, body: bytes) -> str:
        assert self._client is not None
        try:
            response = await self._client.post(
                app.url + route.route,
                content=body,
                headers={
                    "content-type": CLOUDEVENTS_JSON,
                    "pubsubname": route.pubsubname,
                    **self._app_headers(),
                },
            )
        except httpx.HTTPError:
            return "ERROR"
        if response.status_code == 404:
            return "DROP"
        if not response.is_success:
            return "ERROR"
        try:
            status = response.json().get("status") if response.content else None
        except (ValueError, AttributeError):
            return "ERROR"
        if status in (None, "", "SUCCESS"):
            return "SUCCESS"
        # An unknown status is an error to Dapr, which retries it.
        return status if status in ("RETRY", "DROP") else "ERROR"

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until every message has been delivered, dead-lettered or dropped."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._tasks:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError("fake sidecar did not drain")
            await asyncio.wait(set(self._tasks), timeout=remaining)

    # ---- state -----------------------------------------------------------------------------

    def next_etag(self) -> str:
        self._etag_counter += 1
        return str(self._etag_counter)


def _route(item: dict[str, Any]) -> Route:
    return Route(
        pubsubname=str(item["pubsubname"]),
        topic=str(item["topic"]),
        route=str(item.get("route") or f"/{item['topic']}"),
        dead_letter_topic=item.get("deadLetterTopic") or None,
    )


def _envelope(pubsubname: str, topic: str, data: bytes, content_type: str) -> dict[str, Any]:
    """Dapr keeps a structured CloudEvent as given (adding topic and pubsub name) and wraps
    anything else in a CloudEvent of its own."""
    if content_type.startswith(CLOUDEVENTS_JSON):
        envelope = json.loads(data)
        if not isinstance(envelope, dict):
            raise ValueError("a CloudEvent must be a JSON object")
    else:
        envelope = {
            "id": str(uuid.uuid4()),
            "source": "fake-daprd",
            "type": "com.dapr.event.sent",
            "specversion": "1.0",
            "datacontenttype": content_type or "text/plain",
        }
        if "json" in content_type:
            envelope["data"] = json.loads(data)
        else:
            envelope["data"] = data.decode("utf-8")
    envelope["topic"] = topic
    envelope["pubsubname"] = pubsubname
    return envelope


def _http_handler(sidecar: FakeDaprSidecar) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            log.debug(format, *args)

        def _answer(self, status: int, body: bytes = b"") -> None:
            self.send_response(status)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path in ("/v1.0/healthz", "/v1.0/healthz/outbound"):
                self._answer(204 if sidecar.healthy else 500)
            else:
                self._answer(404)

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            payload = json.loads(self.rfile.read(length) or b"{}")
            if self.path == "/fake/apps":
                self._in_loop(_async(sidecar.add_app, str(payload["url"])))
            elif self.path == "/fake/subscriptions/refresh":
                self._in_loop(_async(sidecar.refresh_subscriptions))
            elif self.path == "/fake/drain":
                try:
                    self._in_loop(sidecar.drain(float(payload.get("timeout", 10.0))))
                except TimeoutError:
                    self._answer(504)
                    return
            else:
                self._answer(404)
                return
            self._answer(204)

        def _in_loop(self, coro: Any) -> Any:
            assert sidecar._loop is not None
            return asyncio.run_coroutine_threadsafe(coro, sidecar._loop).result()

    return Handler


async def _async(fn: Any, *args: Any) -> Any:
    return fn(*args)


# ---- standalone process ----------------------------------------------------------------------


async def _serve(args: argparse.Namespace) -> None:
    pubsubs: set[str] | None = set(args.pubsub)
    stores: set[str] | None = None
    if args.components:
        pubsubs, stores = components_in(args.components)
    sidecar = FakeDaprSidecar(
        app_urls=args.app_url,
        pubsubs=pubsubs,
        state_stores=stores,
        max_attempts=args.max_attempts,
        retry_base_seconds=args.retry_base_seconds,
        retry_max_seconds=args.retry_max_seconds,
        host=args.host,
        grpc_port=args.grpc_port,
        http_port=args.http_port,
        app_api_token=os.environ.get("APP_API_TOKEN") or None,
    )
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopped.set)
    async with sidecar:
        ready = {"grpc_address": sidecar.grpc_address, "http_endpoint": sidecar.http_endpoint}
        print(json.dumps(ready), flush=True)
        await stopped.wait()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake Dapr sidecar for tests")
    parser.add_argument("--app-url", action="append", default=[], help="repeat for several apps")
    parser.add_argument("--grpc-port", type=int, default=50001)
    parser.add_argument("--http-port", type=int, default=3500)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--pubsub", action="append", default=["pubsub"])
    parser.add_argument("--components", default=None, help="resources folder to load names from")
    parser.add_argument("--max-attempts", type=int, default=3)
    parser.add_argument("--retry-base-seconds", type=float, default=0.01)
    parser.add_argument("--retry-max-seconds", type=float, default=0.2)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
