"""Vault's subscriptions to other modules' contracts.

- execution's answer to a verification request (`CredentialVerified`) is folded into the
  credential's status;
- execution's unseals (`CredentialUnsealed`) and failed unseals (an `OrderRejected` with
  `credential_unavailable`) are written to the audit log with the order they were for;
- identity's admin actions on a user (suspend, reinstate, tier change) are audited too.

Handlers run behind the inbox, so a redelivered event is a no-op, and append to the audit chain
under its head-row lock, so concurrent deliveries still form one chain. Unseals, one per order
placed, are group-committed: the deliveries that arrive together are appended in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from modules.execution.contracts import CredentialUnsealed, CredentialVerified, OrderRejected
from modules.identity.contracts import UserReinstated, UserSuspended, UserTierChanged
from modules.kernel.module import Subscription
from modules.kernel.outbox import UnitOfWork
from modules.vault.service import VaultService


class VaultHandlers:
    def __init__(self, service: VaultService) -> None:
        self._service = service

    async def verified(self, event: CredentialVerified, uow: UnitOfWork) -> None:
        await self._service.record_verification(
            uow,
            request_id=event.request_id,
            credential_id=event.credential_id,
            user_id=event.user_id,
            ok=event.ok,
            permissions=list(event.permissions),
            reason=event.reason,
        )

    async def unsealed(self, events: list[CredentialUnsealed], uow: UnitOfWork) -> None:
        # One unseal per order placed: batched, so a burst costs one chain-head lock.
        await self._service.audit_many(
            [
                self._service.audit_draft(
                    user_id=event.user_id,
                    action="unseal",
                    actor_id="execution",
                    credential_id=event.credential_id,
                    venue=event.venue,
                    details={"order_id": event.order_id, "purpose": event.purpose},
                )
                for event in events
            ]
        )

    async def rejected(self, event: OrderRejected, uow: UnitOfWork) -> None:
        if event.code != "credential_unavailable":
            return
        await self._service.audit(
            user_id=event.user_id,
            action="unseal_failed",
            actor_id="execution",
            venue=event.venue,
            details={"order_id": event.order_id, "reason": event.reason[:200]},
        )

    async def suspended(self, event: UserSuspended, uow: UnitOfWork) -> None:
        await self._admin(event.user_id, "admin_suspend", {"reason": event.reason[:200]})

    async def reinstated(self, event: UserReinstated, uow: UnitOfWork) -> None:
        await self._admin(event.user_id, "admin_reinstate", {})

    async def tier_changed(self, event: UserTierChanged, uow: UnitOfWork) -> None:
        await self._admin(event.user_id, "admin_tier_change", {"tier": event.tier})

    async def _admin(self, user_id: str, action: str, details: dict[str, object]) -> None:
        # Identity's events do not name the acting admin; the entry records that an admin did.
        await self._service.audit(user_id=user_id, action=action, actor_id="admin", details=details)


def subscriptions(service: VaultService) -> Sequence[Subscription]:
    """The durable subscriptions of the vault module, bound to its service."""
    handlers = VaultHandlers(service)
    return [
        Subscription(CredentialVerified, handlers.verified, "credential-verified"),
        Subscription(CredentialUnsealed, handlers.unsealed, "credential-unsealed", batched=True),
        Subscription(OrderRejected, handlers.rejected, "order-rejected"),
        Subscription(UserSuspended, handlers.suspended, "user-suspended"),
        Subscription(UserReinstated, handlers.reinstated, "user-reinstated"),
        Subscription(UserTierChanged, handlers.tier_changed, "user-tier-changed"),
    ]
