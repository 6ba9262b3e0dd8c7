"""A loopback double of Expo's push service HTTP API (send and receipts), for the dashboard.

It speaks the documented endpoints and shapes: `POST /--/api/v2/push/send` takes a JSON list of
messages (or one message; at most 100) with `to`, `title`, `body`, `data`, and answers
`{"data": [ticket, ...]}` in order, each `{"status": "ok", "id": <receipt id>}` or
`{"status": "error", "message": ..., "details": {"error": "DeviceNotRegistered"}}`;
`POST /--/api/v2/push/getReceipts` takes `{"ids": [...]}` (at most 1000) and answers
`{"data": {id: {"status": "ok"} | {"status": "error", ...}}}`. A malformed request answers 400
with `{"errors": [...]}`. When the double has an access token, a request without it as a
bearer answers 401, as Expo does with enhanced push security on.

Test controls (not Expo): `dead_at_send` tokens are refused in their ticket, `dead_at_receipt`
tokens get a ticket but a `DeviceNotRegistered` receipt; `fail_next` is a list of statuses
(e.g. [503, 429]) the next send requests answer before any is handled. Every accepted message is
kept in `messages` (with the time it arrived, `received_at`), every request in `requests`.

In-process: `async with FakeExpo() as expo: expo.base_url`.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web

TOKEN = re.compile(r"^Expo(?:nent)?PushToken\[.+\]$")
MESSAGE_FIELDS = {"to", "title", "body", "data", "sound", "priority", "ttl", "badge", "channelId"}


@dataclass
class Received:
    to: str
    title: str
    body: str
    data: dict[str, Any]
    receipt_id: str
    received_at: float  # time.perf_counter() when it arrived
    raw: dict[str, Any]


@dataclass
class FakeExpo:
    access_token: str | None = None
    dead_at_send: set[str] = field(default_factory=set)
    dead_at_receipt: set[str] = field(default_factory=set)
    fail_next: list[int] = field(default_factory=list)
    messages: list[Received] = field(default_factory=list)
    requests: list[tuple[str, int]] = field(default_factory=list)  # (path, status answered)
    receipts_asked: list[str] = field(default_factory=list)
    base_url: str = ""
    _receipts: dict[str, dict[str, Any]] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def to(self, token: str) -> list[Received]:
        return [m for m in self.messages if m.to == token]

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The first `count` messages, once that many arrived (TimeoutError otherwise)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            self.arrived.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{len(self.messages)} of {count} pushes arrived")
            try:
                await asyncio.wait_for(self.arrived.wait(), left)
            except TimeoutError:
                continue
        return self.messages[:count]

    # ---- the API ---------------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        if self.access_token is None:
            return True
        return request.headers.get("authorization") == f"Bearer {self.access_token}"

    async def _send(self, request: web.Request) -> web.Response:
        if self.fail_next:
            status = self.fail_next.pop(0)
            self.requests.append((request.path, status))
            return web.json_response(
                {"errors": [{"code": "INTERNAL", "message": "x"}]}, status=status
            )
        if not self._authorised(request):
            return self._answer(request, 401, {"errors": [{"code": "UNAUTHORIZED"}]})
        try:
            payload = json.loads(await request.read())
        except ValueError:
            return self._answer(request, 400, {"errors": [{"code": "VALIDATION_ERROR"}]})
        messages = payload if isinstance(payload, list) else [payload]
        problem = _invalid(messages)
        if problem:
            return self._answer(
                request, 400, {"errors": [{"code": "VALIDATION_ERROR", "message": problem}]}
            )
        arrived = time.perf_counter()
        tickets = [self._ticket(message, arrived) for message in messages]
        self.arrived.set()
        return self._answer(request, 200, {"data": tickets})

    def _ticket(self, message: dict[str, Any], arrived: float) -> dict[str, Any]:
        token = message["to"]
        if token in self.dead_at_send:
            return {
                "status": "error",
                "message": f'"{token}" is not a registered push notification recipient',
                "details": {"error": "DeviceNotRegistered"},
            }
        receipt_id = str(uuid.uuid4())
        self.messages.append(
            Received(
                to=token,
                title=message.get("title", ""),
                body=message.get("body", ""),
                data=message.get("data") or {},
                receipt_id=receipt_id,
                received_at=arrived,
                raw=message,
            )
        )
        if token in self.dead_at_receipt:
            self._receipts[receipt_id] = {
                "status": "error",
                "message": "The recipient device is not registered with FCM.",
                "details": {"error": "DeviceNotRegistered"},
            }
        else:
            self._receipts[receipt_id] = {"status": "ok"}
        return {"status": "ok", "id": receipt_id}

    async def _get_receipts(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._answer(request, 401, {"errors": [{"code": "UNAUTHORIZED"}]})
        try:
            ids = json.loads(await request.read())["ids"]
        except (ValueError, KeyError, TypeError):
            return self._answer(request, 400, {"errors": [{"code": "VALIDATION_ERROR"}]})
        if not isinstance(ids, list) or len(ids) > 1000:
            return self._answer(request, 400, {"errors": [{"code": "VALIDATION_ERROR"}]})
        self.receipts_asked.extend(ids)
        found = {i: self._receipts[i] for i in ids if i in self._receipts}
        return self._answer(request, 200, {"data": found})

    def _answer(self, request: web.Request, status: int, body: Any) -> web.Response:
        self.requests.append((request.path, status))
        return web.json_response(body, status=status)

    # ---- serving ---------------------------------------------------------------------------

    async def __aenter__(self) -> FakeExpo:
        app = web.Application()
        app.router.add_post("/--/api/v2/push/send", self._send)
        app.router.add_post("/--/api/v2/push/getReceipts", self._get_receipts)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def _invalid(messages: list[Any]) -> str | None:
    if not messages or len(messages) > 100:
        return "send 1 to 100 messages"
    for message in messages:
        if not isinstance(message, dict) or set(message) - MESSAGE_FIELDS:
            return "unknown message field"
        if not isinstance(message.get("to"), str) or not TOKEN.match(message["to"]):
            return '"to" must be an Expo push token'
        if "data" in message and not isinstance(message["data"], dict):
            return '"data" must be an object'
    return None
