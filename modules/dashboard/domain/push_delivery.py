"""How queued pushes become messages to the push service, and what its answers mean.

A burst collapses: the pushes of one collapsing kind waiting for one device go out as one
message, the first one's text with "(+N more)". A send the service could not take is retried
later, each time waiting twice as long. A device the service says is gone is forgotten.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

import msgspec

from modules.dashboard.domain.push import COLLAPSING, PushData

# An Expo push token as `getExpoPushTokenAsync` returns it.
EXPO_TOKEN = re.compile(r"^Expo(?:nent)?PushToken\[[A-Za-z0-9_-]{8,200}\]$")
DEVICE_NOT_REGISTERED = "DeviceNotRegistered"
_RETRYABLE_ERRORS = frozenset({"MessageRateExceeded"})


class PendingPush(msgspec.Struct, frozen=True, kw_only=True):
    """One queued push for one device (a row of the push outbox)."""

    id: int
    device: str
    kind: str
    collapse_key: str
    title: str
    body: str
    data: PushData
    created_at: datetime


class Outgoing(msgspec.Struct, frozen=True, kw_only=True):
    """One message to send: `leader` carries the ticket, `members` are every row it stands for."""

    device: str
    leader: int
    members: tuple[int, ...]
    title: str
    body: str
    data: PushData


def collapse_key(kind: str, notification_id: str) -> str:
    """The group a push collapses in: its kind, or only itself for kinds that never collapse."""
    return kind if kind in COLLAPSING else f"{kind}:{notification_id}"


def collapse(pending: list[PendingPush]) -> list[Outgoing]:
    """One message per (device, collapse key), oldest push first, in the order of the oldest."""
    groups: dict[tuple[str, str], list[PendingPush]] = {}
    for push in sorted(pending, key=lambda p: p.id):
        groups.setdefault((push.device, push.collapse_key), []).append(push)
    return [_merged(group) for group in groups.values()]


def _merged(group: list[PendingPush]) -> Outgoing:
    first = group[0]
    body, data = first.body, first.data
    if len(group) > 1:
        body = f"{body} (+{len(group) - 1} more)"
        if any(p.data.url != data.url for p in group):
            # Pushes about several positions: the one place that shows them all.
            data = PushData(type=data.type, url="/activity")
        elif any(p.data.order_id != data.order_id for p in group):
            data = msgspec.structs.replace(data, order_id=None)
    return Outgoing(
        device=first.device,
        leader=first.id,
        members=tuple(p.id for p in group),
        title=first.title,
        body=body,
        data=data,
    )


def retry_delay(attempts: int, base: float, cap: float) -> float:
    """Seconds before attempt `attempts + 1`: base, 2 base, 4 base, ... at most `cap`."""
    return float(min(cap, base * 2 ** max(attempts - 1, 0)))


TicketFate = Literal["sent", "retry", "drop_device", "failed"]


def ticket_fate(status: str, error: str | None) -> TicketFate:
    """What to do with one message after the service's ticket (or receipt) for it."""
    if status == "ok":
        return "sent"
    if error == DEVICE_NOT_REGISTERED:
        return "drop_device"
    if error in _RETRYABLE_ERRORS:
        return "retry"
    return "failed"  # too big, bad credentials, ...: sending it again would fail again


def token_hint(token: str) -> str:
    """What may be shown of a push token: its kind and last four characters."""
    inner = token[token.find("[") + 1 : -1] if token.endswith("]") else token
    prefix = token[: token.find("[")] if "[" in token else "token"
    return f"{prefix}[...{inner[-4:]}]"
