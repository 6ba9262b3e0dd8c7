"""Expo's push service over its documented HTTP API, with httpx.

`POST {base}/--/api/v2/push/send` takes a JSON list of messages (at most 100) and answers
`{"data": [ticket, ...]}` in the same order, each `{"status": "ok", "id": ...}` or
`{"status": "error", "message": ..., "details": {"error": "DeviceNotRegistered"}}`;
`POST {base}/--/api/v2/push/getReceipts` takes `{"ids": [...]}` and answers
`{"data": {id: receipt}}` for the ids it has a receipt for. A request error answers `errors`.
With enhanced push security on, every request carries the project's access token as a bearer.
"""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
import msgspec

from modules.dashboard.ports import (
    OutgoingMessage,
    PushReceipt,
    PushRequestRefused,
    PushServiceUnavailable,
    PushTicket,
)
from modules.kernel.logs import register_secret

_T = TypeVar("_T")
SEND_PATH = "/--/api/v2/push/send"
RECEIPTS_PATH = "/--/api/v2/push/getReceipts"


class _Details(msgspec.Struct):
    error: str | None = None


class _Ticket(msgspec.Struct):
    status: str
    id: str | None = None
    message: str = ""
    details: _Details | None = None


class _SendAnswer(msgspec.Struct):
    data: list[_Ticket] | None = None
    errors: list[dict[str, Any]] | None = None


class _Receipt(msgspec.Struct):
    status: str
    message: str = ""
    details: _Details | None = None


class _ReceiptsAnswer(msgspec.Struct):
    data: dict[str, _Receipt] | None = None
    errors: list[dict[str, Any]] | None = None


class _Message(msgspec.Struct):
    to: str
    title: str
    body: str
    data: dict[str, Any]
    sound: str = "default"
    priority: str = "high"


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("retry-after", ""))
    except ValueError:
        return None


class ExpoPushService:
    def __init__(self, base_url: str, access_token: str | None, *, timeout: float) -> None:
        headers = {"accept": "application/json", "accept-encoding": "gzip, deflate"}
        if access_token:
            self._secret = register_secret(access_token)  # masked in any log line while held
            headers["authorization"] = f"Bearer {access_token}"
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout
        )

    async def send(self, messages: list[OutgoingMessage]) -> list[PushTicket]:
        payload = [
            _Message(to=m.to, title=m.title, body=m.body, data=msgspec.to_builtins(m.data))
            for m in messages
        ]
        answer = await self._post(SEND_PATH, msgspec.json.encode(payload), _SendAnswer)
        tickets = answer.data or []
        if len(tickets) != len(messages):
            raise PushServiceUnavailable(f"{len(tickets)} tickets for {len(messages)} messages")
        return [
            PushTicket(
                status="ok" if t.status == "ok" else "error",
                id=t.id,
                error=t.details.error if t.details else None,
                message=t.message,
            )
            for t in tickets
        ]

    async def receipts(self, ids: list[str]) -> dict[str, PushReceipt]:
        body = msgspec.json.encode({"ids": ids})
        answer = await self._post(RECEIPTS_PATH, body, _ReceiptsAnswer)
        return {
            receipt_id: PushReceipt(
                status="ok" if r.status == "ok" else "error",
                error=r.details.error if r.details else None,
            )
            for receipt_id, r in (answer.data or {}).items()
        }

    async def _post(self, path: str, body: bytes, answer: type[_T]) -> _T:
        try:
            response = await self._client.post(
                path, content=body, headers={"content-type": "application/json"}
            )
        except httpx.HTTPError as error:
            raise PushServiceUnavailable(f"{type(error).__name__} talking to Expo") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise PushServiceUnavailable(
                f"Expo answered {response.status_code}", _retry_after(response)
            )
        if response.status_code in (401, 403):
            # The access token is wrong or missing: an operator fixes it, the pushes wait.
            raise PushServiceUnavailable(f"Expo refused the access token ({response.status_code})")
        if response.status_code >= 400:
            raise PushRequestRefused(f"Expo refused the request ({response.status_code})")
        try:
            return msgspec.json.decode(response.content, type=answer)
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise PushServiceUnavailable("Expo's answer was not the documented JSON") from None

    async def close(self) -> None:
        await self._client.aclose()
