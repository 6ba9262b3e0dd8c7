"""The `WS /v1/ws` live stream.

The socket authenticates with its first message, `{"type": "auth", "token": ...}`, never with a
token in the URL (URLs end up in proxy logs and browser history). Until then it receives nothing.

Protocol (JSON text frames):
- client: `auth` {token} (first, within WS_AUTH_TIMEOUT_SECONDS; again later to renew), `ping`.
- server: `auth.ok` {user_id}, `pong`, `order.updated` {order}, `order.filled` {order, fill},
  `notification.created` {notification}, `error` {code, detail?}, and the screens' pushes
  (schemas/pushes.py), each with the `revision` of what it shows:
  `trade.executed` {trade, revision} (a fill as an activity item, keyed by `trade.id`; again,
  with a higher revision, once its P&L is known or it turns out to close a position),
  `position.updated` {position, revision} (keyed by `position.id` and `position.cycle`),
  `pnl.updated` {pnl, unrealised_pnl, revision} (the overview's periods; one per user),
  `balance.updated` {balance, revision} (keyed by `balance.venue`),
  `bot.status` {bot, revision}.
- close 4401 after `error` `unauthorized` (bad, missing, revoked or late auth, or a renewal with
  such a token), `token_expired` or `token_revoked` (signed out everywhere, the session revoked or
  logged out, the password changed); 4403 after `user_suspended`; 1013 when the client reads too
  slowly to keep up; 1001 on server shutdown. An open socket ends within about two seconds of its
  token expiring or being revoked on any replica (`workers/socket_guard.py`).
  Pushes of one order may arrive out of order across topics: keep the one with the highest
  `order.revision`; likewise keep, per trade, position, venue balance, the P&L and the bot, the
  push with the highest `revision`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator, Mapping
from typing import Any, cast

import msgspec
from litestar import WebSocket, websocket
from litestar.di import NamedDependency

import modules.dashboard.config as config
from modules.dashboard.adapters.ws_outlet import SocketOutlet
from modules.dashboard.domain.socket_end import UNAUTHORIZED
from modules.dashboard.schemas.orders import (
    AuthOk,
    ClientAuth,
    ClientMessage,
    ClientPing,
    Pong,
    SocketError,
)
from modules.dashboard.service.orders import DashboardService, SocketSession
from modules.kernel.errors import ProblemError
from modules.kernel.refusal import Refused

log = logging.getLogger("nija.dashboard.ws")
WS_UNAUTHORIZED = 4401
WS_POLICY_VIOLATION = 1008
_decode_client = msgspec.json.Decoder(ClientMessage)
_encode = msgspec.json.Encoder().encode
_UNAUTHORIZED = _encode(SocketError(code="unauthorized"))


# ---- WebSocket -------------------------------------------------------------------------------


@contextlib.contextmanager
def _dropped(service: DashboardService, step: str) -> Iterator[None]:
    """A socket step whose failure must not end anything else (the peer may simply be gone):
    the error is logged and counted in `nija_dashboard_socket_faults_total{step}`, not raised."""
    try:
        yield
    except Exception:
        service.socket_faults.labels(step).inc()
        log.warning("WebSocket %s failed", step, exc_info=True)


def _parse(message: Mapping[str, Any]) -> ClientMessage | SocketError:
    raw: str | bytes | None = message.get("text")
    if raw is None:
        raw = message.get("bytes") or b""
    limit = config.MAX_MESSAGE_BYTES
    if len(raw) > limit:
        return SocketError(code="message_too_large", detail=f"limit {limit} bytes")
    try:
        decoded: ClientMessage = _decode_client.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return SocketError(code="invalid_message", detail=str(exc))
    return decoded


async def _refuse(socket: WebSocket[Any, Any, Any], service: DashboardService) -> None:
    with _dropped(service, "refuse"):
        await socket.send_data(_UNAUTHORIZED.decode(), mode="text")
        await socket.close(code=WS_UNAUTHORIZED, reason="unauthorized")


async def _handshake(
    socket: WebSocket[Any, Any, Any], service: DashboardService
) -> SocketSession | None:
    """Wait for the auth message; refuse the socket (4401) on anything else."""
    try:
        message = await asyncio.wait_for(socket.receive(), config.WS_AUTH_TIMEOUT_SECONDS)
    except TimeoutError:
        await _refuse(socket, service)
        return None
    if message["type"] == "websocket.disconnect":
        return None
    parsed = _parse(cast(Mapping[str, Any], message))
    if isinstance(parsed, ClientAuth):
        try:
            return await service.authenticate(parsed.token)
        except (ProblemError, Refused):
            pass
    await _refuse(socket, service)
    return None


async def _read(
    socket: WebSocket[Any, Any, Any],
    outlet: SocketOutlet,
    session: SocketSession,
    service: DashboardService,
) -> None:
    """Answer client messages until it disconnects; a fresh token renews the session.

    Ending the socket when its token expires or is revoked is the socket guard's job
    (`workers/socket_guard.py`), which sees every socket of the replica at once.
    """
    while True:
        message = await socket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if outlet.closing:
            continue  # its close is queued: nothing more is answered, nor renewed
        parsed = _parse(cast(Mapping[str, Any], message))
        if isinstance(parsed, ClientPing):
            outlet.offer(_encode(Pong()))
        elif isinstance(parsed, ClientAuth):
            renewed = await _renew(service, session, parsed.token)
            if renewed is None:
                service.end_socket(outlet, UNAUTHORIZED)
                continue
            session = renewed
            service.track(outlet, session)
            outlet.offer(_encode(AuthOk(user_id=session.principal.user_id)))
        else:
            outlet.offer(_encode(parsed))


async def _renew(
    service: DashboardService, session: SocketSession, token: str
) -> SocketSession | None:
    try:
        renewed = await service.authenticate(token)
    except (ProblemError, Refused):
        return None
    return renewed if renewed.principal.user_id == session.principal.user_id else None


@websocket("/v1/ws", name="dashboard-stream")
async def stream(
    socket: WebSocket[Any, Any, Any], dashboard_service: NamedDependency[DashboardService]
) -> None:
    """Live pushes for the caller: orders, notifications and the screens' read side."""
    await socket.accept()
    session = await _handshake(socket, dashboard_service)
    if session is None:
        return
    user_id = session.principal.user_id
    hub = dashboard_service.hub
    if hub.connections(user_id) >= config.MAX_CONNECTIONS_PER_USER:
        with _dropped(dashboard_service, "reject"):
            await socket.send_data(_encode(SocketError(code="too_many_connections")).decode())
            await socket.close(code=WS_POLICY_VIOLATION, reason="too many connections")
        return

    outlet = SocketOutlet(socket, on_failure=dashboard_service.socket_write_failed)
    # Queued before joining the hub, so `auth.ok` is the first frame and every push for this
    # user committed after the client saw it reaches the socket.
    outlet.offer(_encode(AuthOk(user_id=user_id)))
    hub.connect(user_id, outlet)
    dashboard_service.track(outlet, session)
    try:
        # Read in the handler's own task: the server ends the receive side when the socket
        # closes for any reason (the client left, a close was sent, a send failed).
        await _read(socket, outlet, session, dashboard_service)
    except Exception:
        # Not `_dropped`: every open socket would hold its generator while it waits.
        dashboard_service.socket_faults.labels("read").inc()
        log.warning("WebSocket read failed", exc_info=True)
    finally:
        hub.disconnect(user_id, outlet)
        dashboard_service.forget(outlet)
        outlet.discard()
