"""Integration events: the only thing modules say to each other.

Each event class declares its topic as a literal `TOPIC` class variable (never derived from the
class name, so renaming a class cannot silently change the wire contract). Events travel inside a
CloudEvents 1.0 JSON envelope, the format Dapr uses on the wire.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

import msgspec

from modules.kernel.ids import time_ordered_uuid

TOPICS: dict[str, type[IntegrationEvent]] = {}
DEAD_LETTER_TOPIC = "kernel.dead-letter.v1"


def _new_event_id() -> str:
    return str(time_ordered_uuid())


def _now() -> datetime:
    return datetime.now(UTC)


class IntegrationEvent(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every published event. Subclasses set `TOPIC` to a versioned literal."""

    TOPIC: ClassVar[str] = ""
    event_id: str = msgspec.field(default_factory=_new_event_id)
    occurred_at: datetime = msgspec.field(default_factory=_now)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        topic = cls.__dict__.get("TOPIC")
        if not topic:
            raise TypeError(f"{cls.__qualname__} must declare a TOPIC literal")
        existing = TOPICS.get(topic)
        if existing is not None and existing.__qualname__ != cls.__qualname__:
            raise TypeError(f"topic {topic!r} already declared by {existing.__qualname__}")
        TOPICS[topic] = cls


class CloudEvent(msgspec.Struct, kw_only=True, omit_defaults=True):
    """CloudEvents 1.0 structured-mode JSON envelope."""

    id: str
    source: str
    type: str
    specversion: str = "1.0"
    datacontenttype: str = "application/json"
    time: str | None = None
    topic: str | None = None
    pubsubname: str | None = None
    traceparent: str | None = None
    # Raw keeps the event's JSON untouched through the envelope; b"null" means no data.
    data: msgspec.Raw = msgspec.Raw(b"null")
    # Set by a dead-letter hop so an operator can see where the message came from.
    originaltopic: str | None = None


def envelope_for(event: IntegrationEvent, source: str) -> CloudEvent:
    return CloudEvent(
        id=event.event_id,
        source=source,
        type=event.TOPIC,
        topic=event.TOPIC,
        time=event.occurred_at.isoformat(),
        data=msgspec.Raw(msgspec.json.encode(event)),
    )


def encode_envelope(envelope: CloudEvent) -> bytes:
    return msgspec.json.encode(envelope)


def decode_envelope(payload: bytes) -> CloudEvent:
    return msgspec.json.decode(payload, type=CloudEvent)


def has_data(envelope: CloudEvent) -> bool:
    return bytes(envelope.data) not in (b"", b"null")


def decode_event(topic: str, data: bytes | msgspec.Raw) -> IntegrationEvent:
    """Decode event data for a declared topic; raises `LookupError` for an undeclared one."""
    event_type = TOPICS.get(topic)
    if event_type is None:
        raise LookupError(f"no contract declares topic {topic!r}")
    return msgspec.json.decode(bytes(data), type=event_type)
