"""Execution's subscriptions: vault's credentials (sealed copies) and routing's orders."""

from __future__ import annotations

from collections.abc import Sequence

from modules.execution.repository import ExecutionRepository
from modules.execution.service import ExecutionService
from modules.kernel.module import Subscription
from modules.kernel.outbox import UnitOfWork, in_key_order
from modules.routing.contracts import KillSwitchChanged, OrderRouted
from modules.vault.contracts import (
    CredentialRevoked,
    CredentialStored,
    CredentialVerificationRequested,
    UserDataKeyRewrapped,
)


class ExecutionHandlers:
    def __init__(self, service: ExecutionService, repository: ExecutionRepository) -> None:
        self._service = service
        self._repo = repository

    async def credential_stored(self, event: CredentialStored, uow: UnitOfWork) -> None:
        await self._repo.store_credential(uow.conn, event)

    async def credential_revoked(self, event: CredentialRevoked, uow: UnitOfWork) -> None:
        await self._repo.revoke_credential(uow.conn, event)

    async def data_key_rewrapped(self, event: UserDataKeyRewrapped, uow: UnitOfWork) -> None:
        # Follow the vault's rewrap so the sealed copies here still open once an operator
        # retires the old transit key versions (raises the minimum decryption version).
        await self._repo.rewrap_credentials(uow.conn, event)

    async def order_routed(self, event: OrderRouted, uow: UnitOfWork) -> None:
        # Only queues it: placement runs on the venue's workers, outside this transaction.
        await self._service.enqueue(event, uow)

    async def kill_switch_changed(self, event: KillSwitchChanged, uow: UnitOfWork) -> None:
        await self._service.halt_queued(event, uow)

    async def verification_requested(
        self, event: CredentialVerificationRequested, uow: UnitOfWork
    ) -> None:
        await self._service.verify(event, uow)

    def subscriptions(self) -> Sequence[Subscription]:
        return [
            Subscription(CredentialStored, self.credential_stored, "credential-stored"),
            Subscription(CredentialRevoked, self.credential_revoked, "credential-revoked"),
            Subscription(UserDataKeyRewrapped, self.data_key_rewrapped, "data-key-rewrapped"),
            # One per order placed: group-committed (see `GroupCommit`); queuing locks nothing.
            Subscription(
                OrderRouted,
                in_key_order(self.order_routed, key=lambda event: event.order_id),
                "order-routed",
                batched=True,
            ),
            Subscription(KillSwitchChanged, self.kill_switch_changed, "kill-switch-changed"),
            Subscription(
                CredentialVerificationRequested,
                self.verification_requested,
                "credential-verification-requested",
            ),
        ]
