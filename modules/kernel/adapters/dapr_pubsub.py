"""Pub/sub through a Dapr sidecar: the production adapter of the `PubSub` port.

Publishing goes through the official SDK's gRPC client. Delivery is the other way round: the
sidecar asks the app which topics it wants (`GET /dapr/subscribe`) and POSTs each message to the
route given there. The app declares one Dapr subscription per topic and fans the message out to
its in-process subscribers itself, answering `RETRY` if any of them failed, so the sidecar's
resiliency policy and dead-letter topic apply exactly as they would to a single subscriber.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
from collections import OrderedDict, defaultdict
from typing import Any

import httpx
import msgspec
from dapr.aio.clients import DaprClient
from litestar import Request, get, post
from litestar.params import FromPath

from modules.kernel.dapr_sidecar import open_client, sidecar_healthy
from modules.kernel.errors import ProblemError
from modules.kernel.events import DEAD_LETTER_TOPIC, CloudEvent, decode_envelope, encode_envelope
from modules.kernel.ports import Delivery, EnvelopeHandler, RetryLater
from modules.kernel.settings import Settings

log = logging.getLogger("nija.dapr")
CLOUDEVENTS_JSON = "application/cloudevents+json"
EVENTS_ROUTE = "/dapr/events"
APP_TOKEN_HEADER = "dapr-api-token"
# While a message is being retried because one subscriber failed, the subscribers that already
# succeeded are remembered and skipped. Bounded; past the bound their inboxes dedupe anyway.
_REMEMBERED_SUCCESSES = 10_000


class DaprPubSub:
    def __init__(self, settings: Settings, *, app_api_token: str | None = None) -> None:
        self._settings = settings
        # Dapr's own convention: with APP_API_TOKEN set on daprd, every call it makes to the
        # app carries it in `dapr-api-token`; with it set here, calls without it are refused,
        # so nobody who merely reaches the app port can inject events.
        self._app_api_token = app_api_token or os.environ.get("APP_API_TOKEN") or None
        self._handlers: dict[str, dict[str, EnvelopeHandler]] = defaultdict(dict)
        self._client: DaprClient | None = None
        self._http: httpx.AsyncClient | None = None
        self._succeeded: OrderedDict[tuple[str, str, str], None] = OrderedDict()

    @staticmethod
    def routes() -> list[Any]:
        """The routes the sidecar calls; `app.py` mounts them when `settings.pubsub == "dapr"`."""
        return [_dapr_subscribe, _dapr_event]

    def subscribe(self, topic: str, subscriber: str, handler: EnvelopeHandler) -> None:
        if subscriber in self._handlers[topic]:
            raise ValueError(f"{subscriber!r} already subscribes to {topic!r}")
        self._handlers[topic][subscriber] = handler

    def topics(self) -> list[str]:
        return sorted(topic for topic, handlers in self._handlers.items() if handlers)

    async def start(self) -> None:
        self._http = httpx.AsyncClient(timeout=2.0)
        self._client = await open_client(self._settings)

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()  # type: ignore[no-untyped-call]
            self._client = None
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def ping(self) -> bool:
        if self._http is None:
            return False
        return await sidecar_healthy(self._http, self._settings.dapr_http_endpoint)

    async def publish(self, envelope: CloudEvent) -> None:
        if self._client is None:
            raise RuntimeError("DaprPubSub.publish before start()")
        # Structured CloudEvent content type: Dapr forwards our envelope (id, source, type,
        # data) instead of wrapping it in one of its own.
        await self._client.publish_event(
            pubsub_name=self._settings.dapr_pubsub_name,
            topic_name=envelope.type,
            data=encode_envelope(envelope),
            data_content_type=CLOUDEVENTS_JSON,
        )

    # ---- the app side of the sidecar protocol ----------------------------------------------

    def accepts(self, presented: str | None) -> bool:
        expected = self._app_api_token
        if expected is None:
            return True
        return presented is not None and hmac.compare_digest(presented, expected)

    def subscriptions(self) -> list[dict[str, str]]:
        """Dapr's programmatic subscription list: one entry per topic we have subscribers for."""
        result = []
        for topic in self.topics():
            entry = {
                "pubsubname": self._settings.dapr_pubsub_name,
                "topic": topic,
                "route": f"{EVENTS_ROUTE}/{topic}",
            }
            # A dead letter that cannot be handled is not dead-lettered again (no loop).
            if topic != DEAD_LETTER_TOPIC:
                entry["deadLetterTopic"] = DEAD_LETTER_TOPIC
            result.append(entry)
        return result

    async def deliver(self, topic: str, body: bytes) -> Delivery:
        """Fan one delivered message out to every local subscriber of `topic`."""
        try:
            event_id = decode_envelope(body).id
        except (msgspec.DecodeError, msgspec.ValidationError):
            log.warning("undecodable message dropped", extra={"topic": topic})
            return Delivery.DROP
        handlers = self._handlers.get(topic)
        if not handlers:
            log.warning("message for a topic without subscribers dropped", extra={"topic": topic})
            return Delivery.DROP
        verdicts = await asyncio.gather(
            *(self._run(topic, event_id, name, handler, body) for name, handler in handlers.items())
        )
        if Delivery.RETRY in verdicts:
            return Delivery.RETRY
        # Done for everyone: a later copy of this event (a second publish) must reach every
        # subscriber again, so that their inboxes, not this cache, decide what is a duplicate.
        for name in handlers:
            self._succeeded.pop((topic, event_id, name), None)
        return Delivery.SUCCESS

    async def _run(
        self, topic: str, event_id: str, name: str, handler: EnvelopeHandler, body: bytes
    ) -> Delivery:
        key = (topic, event_id, name)
        if key in self._succeeded:
            return Delivery.SUCCESS
        # Each subscriber decodes its own copy, as on the in-process bus.
        envelope = _as_delivered_on(topic, decode_envelope(body))
        try:
            verdict = await handler(envelope)
        except RetryLater as later:
            log.info(
                "subscriber retries later: %s", later, extra={"topic": topic, "subscriber": name}
            )
            return Delivery.RETRY
        except Exception:
            log.exception("subscriber failed", extra={"topic": topic, "subscriber": name})
            return Delivery.RETRY
        if verdict is not Delivery.SUCCESS and verdict is not Delivery.DROP:
            return Delivery.RETRY
        self._succeeded[key] = None
        if len(self._succeeded) > _REMEMBERED_SUCCESSES:
            self._succeeded.popitem(last=False)
        return verdict


def _as_delivered_on(topic: str, envelope: CloudEvent) -> CloudEvent:
    """Dapr dead-letters the original envelope unchanged; say where it came from, as the
    in-process bus does (`type` is the topic it was delivered on, `originaltopic` the first)."""
    if envelope.type == topic:
        return envelope
    envelope.originaltopic = envelope.originaltopic or envelope.type
    envelope.type = topic
    envelope.topic = topic
    return envelope


def _adapter(request: Request[Any, Any, Any]) -> DaprPubSub:
    pubsub = request.app.state.runtime.pubsub
    if not isinstance(pubsub, DaprPubSub):
        raise ProblemError(404, "dapr_disabled", "This process does not use Dapr pub/sub")
    if not pubsub.accepts(request.headers.get(APP_TOKEN_HEADER)):
        raise ProblemError(401, "dapr_token_invalid", "Missing or wrong dapr-api-token")
    return pubsub


@get("/dapr/subscribe", include_in_schema=False, sync_to_thread=False)
def _dapr_subscribe(request: Request[Any, Any, Any]) -> list[dict[str, str]]:
    return _adapter(request).subscriptions()


@post(f"{EVENTS_ROUTE}/{{topic:str}}", include_in_schema=False, status_code=200)
async def _dapr_event(request: Request[Any, Any, Any], topic: FromPath[str]) -> dict[str, str]:
    verdict = await _adapter(request).deliver(topic, await request.body())
    return {"status": verdict.value}
