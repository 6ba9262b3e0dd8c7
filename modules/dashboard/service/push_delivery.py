"""Sending the push outbox through the push service, and reading its receipts.

A delivery round claims the due groups (every pending row of a (device, collapse key) with one
row due), collapses each group into one message, and sends them in requests of at most
`EXPO_MESSAGES_PER_REQUEST`. The claimed rows stay locked, in the round's transaction, until the
service has answered and the answer is written: a process that dies mid-round rolls back and the
rows are sent by the next round (the service answered nothing we kept); a round that ends writes
what happened to every row, so nothing is sent twice by a later round. A request the service
could not take is retried with backoff; a device it says is gone is forgotten with its queue.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import msgspec

import modules.dashboard.config as config
from modules.dashboard.domain.push import with_position
from modules.dashboard.domain.push_delivery import (
    DEVICE_NOT_REGISTERED,
    Outgoing,
    collapse,
    retry_delay,
    ticket_fate,
)
from modules.dashboard.ports import (
    OutgoingMessage,
    PushRequestRefused,
    PushSender,
    PushServiceUnavailable,
    PushTicket,
)
from modules.dashboard.repository.push import ClaimedPush, PushRepository, SealedToken
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.kernel.ports import KeyringError

log = logging.getLogger("nija.dashboard.push")


class _Round(msgspec.Struct, kw_only=True):
    """What one delivery round decided for its rows, written before its transaction ends."""

    sent: list[tuple[int, str | None, tuple[int, ...]]] = msgspec.field(default_factory=list)
    retry: dict[int, list[int]] = msgspec.field(default_factory=dict)  # attempts -> rows
    failed: dict[str, list[int]] = msgspec.field(default_factory=dict)  # error -> rows
    dead_devices: set[str] = msgspec.field(default_factory=set)
    retry_after: float | None = None


class PushDelivery:
    def __init__(self, runtime: Runtime, pushes: PushRepository, sender: PushSender) -> None:
        self._runtime = runtime
        self._pushes = pushes
        self._sender = sender
        self._tokens: dict[tuple[str, str], str] = {}  # (device, sealed) -> token, in memory
        self._outcomes = runtime.metrics.counter(
            "nija_dashboard_push_messages_total",
            "Messages to the push service by outcome (sent, retry, failed, dropped)",
            ["outcome"],
        )

    # ---- delivery ------------------------------------------------------------------------

    async def deliver_due(self) -> int:
        """One round; the number of messages the service accepted."""
        now = self._runtime.clock()
        async with self._runtime.unit_of_work("dashboard") as uow:
            claimed = await self._pushes.claim_due(uow.conn, now, config.PUSH_BATCH)
            if not claimed:
                return 0
            claimed = await self._complete_links(uow, claimed)
            outgoing = collapse([c.push for c in claimed])
            attempts = {c.push.id: c.attempts for c in claimed}
            tokens = await self._tokens_of(uow, sorted({o.device for o in outgoing}))
            result = await self._send_all(outgoing, tokens, attempts)
            await self._write(uow, result, now)
        return len(result.sent)

    async def _complete_links(
        self, uow: UnitOfWork, claimed: list[ClaimedPush]
    ) -> list[ClaimedPush]:
        refs = {(c.user_id, c.position_ref) for c in claimed if c.position_ref is not None}
        known = await self._pushes.settle_position_refs(uow.conn, refs)
        completed = []
        for c in claimed:
            position_id = known.get((c.user_id, c.position_ref or ""))
            if position_id is not None:
                data = with_position(c.push.data, position_id)
                c = msgspec.structs.replace(c, push=msgspec.structs.replace(c.push, data=data))
            completed.append(c)
        return completed

    async def _tokens_of(self, uow: UnitOfWork, devices: list[str]) -> dict[str, str]:
        sealed = await self._pushes.sealed_tokens(uow.conn, devices)
        return {device: token for device, row in sealed.items() if (token := self._open(row))}

    def _open(self, row: SealedToken) -> str | None:
        key = (row.device, row.sealed)
        token = self._tokens.get(key)
        if token is None:
            try:
                plain = self._runtime.keyring.decrypt(
                    config.PUSH_TOKEN_KEY, row.sealed, context=row.user_id.encode()
                )
            except KeyringError:
                log.error(
                    "a push token does not open; its pushes fail", extra={"device": row.device}
                )
                return None
            if len(self._tokens) > 50_000:
                self._tokens.clear()
            token = self._tokens[key] = plain.decode()
        return token

    async def _send_all(
        self, outgoing: list[Outgoing], tokens: dict[str, str], attempts: dict[int, int]
    ) -> _Round:
        result = _Round()
        ready = [o for o in outgoing if o.device in tokens]
        for o in outgoing:
            if o.device not in tokens:
                result.failed.setdefault("device token unavailable", []).extend(o.members)
        size = config.EXPO_MESSAGES_PER_REQUEST
        for start in range(0, len(ready), size):
            chunk = ready[start : start + size]
            messages = [_message(o, tokens[o.device]) for o in chunk]
            try:
                tickets = await self._sender.send(messages)
            except PushServiceUnavailable as error:
                # The rest of the round waits too: the service is not taking requests now.
                result.retry_after = error.retry_after
                for o in ready[start:]:
                    result.retry.setdefault(attempts[o.leader] + 1, []).extend(o.members)
                log.warning("push service unavailable; retrying later: %s", error)
                break
            except PushRequestRefused as error:
                for o in chunk:
                    result.failed.setdefault(str(error), []).extend(o.members)
                log.error("push service refused a request: %s", error)
                continue
            self._settle(chunk, tickets, attempts, result)
        return result

    def _settle(
        self,
        chunk: list[Outgoing],
        tickets: list[PushTicket],
        attempts: dict[int, int],
        result: _Round,
    ) -> None:
        for o, ticket in zip(chunk, tickets, strict=True):
            fate = ticket_fate(ticket.status, ticket.error)
            self._outcomes.labels(fate).inc()
            if fate == "sent":
                result.sent.append((o.leader, ticket.id, o.members))
            elif fate == "retry":
                result.retry.setdefault(attempts[o.leader] + 1, []).extend(o.members)
            elif fate == "drop_device":
                result.dead_devices.add(o.device)
            else:
                result.failed.setdefault(ticket.error or "error", []).extend(o.members)

    async def _write(self, uow: UnitOfWork, result: _Round, now: datetime) -> None:
        await self._pushes.mark_sent(uow.conn, result.sent, now)
        for attempt, ids in result.retry.items():
            if attempt >= config.PUSH_MAX_ATTEMPTS:
                await self._pushes.fail(uow.conn, ids, "gave up after retries")
                continue
            delay = retry_delay(
                attempt, config.PUSH_RETRY_BASE_SECONDS, config.PUSH_RETRY_MAX_SECONDS
            )
            delay = max(delay, result.retry_after or 0.0)
            await self._pushes.reschedule(
                uow.conn, ids, now + timedelta(seconds=delay), "push service unavailable"
            )
        for error, ids in result.failed.items():
            await self._pushes.fail(uow.conn, ids, error)
        if result.dead_devices:
            await self._pushes.drop_devices(uow.conn, sorted(result.dead_devices))
            log.info(
                "dropped %d push devices the service no longer knows", len(result.dead_devices)
            )

    # ---- receipts ------------------------------------------------------------------------

    async def check_receipts(self) -> int:
        """Read the receipts that are due; the number of receipts read."""
        now = self._runtime.clock()
        due_before = now - timedelta(seconds=config.PUSH_RECEIPT_DELAY_SECONDS)
        give_up = now - timedelta(seconds=config.PUSH_RECEIPT_GIVE_UP_SECONDS)
        async with self._runtime.unit_of_work("dashboard") as uow:
            await self._pushes.purge(uow.conn, now - timedelta(days=config.PUSH_RETENTION_DAYS))
        async with self._runtime.unit_of_work("dashboard") as uow:
            tickets = await self._pushes.claim_tickets(
                uow.conn, due_before, config.EXPO_RECEIPTS_PER_REQUEST
            )
            if not tickets:
                return 0
            receipts = await self._sender.receipts([ticket for _, ticket, _, _ in tickets])
            delivered: list[int] = []
            failed: dict[str, list[int]] = {}
            dead: set[str] = set()
            for row_id, ticket, device, sent_at in tickets:
                receipt = receipts.get(ticket)
                if receipt is None:
                    if sent_at < give_up:
                        failed.setdefault("no receipt", []).append(row_id)
                    continue
                fate = ticket_fate(receipt.status, receipt.error)
                if fate == "sent":
                    delivered.append(row_id)
                elif receipt.error == DEVICE_NOT_REGISTERED:
                    dead.add(device)
                    failed.setdefault(DEVICE_NOT_REGISTERED, []).append(row_id)
                else:
                    failed.setdefault(receipt.error or "error", []).append(row_id)
            await self._pushes.delivered(uow.conn, delivered)
            for error, ids in failed.items():
                await self._pushes.fail(uow.conn, ids, error)
            if dead:
                await self._pushes.drop_devices(uow.conn, sorted(dead))
        return len(receipts)


def _message(outgoing: Outgoing, token: str) -> OutgoingMessage:
    return OutgoingMessage(to=token, title=outgoing.title, body=outgoing.body, data=outgoing.data)
