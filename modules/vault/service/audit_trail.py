"""The audit trail: what other modules report is recorded, and the chain can be checked.

Execution's unseals (one per order placed) and failed unseals are recorded with the order they
were for, identity's admin actions on a user (suspend, reinstate, tier change) too, and every
kill switch routing engages or releases (by whom, why, and whether everything was closed). Each is
appended inside the caller's transaction (a subscription's unit of work), under the chain head's
lock, so concurrent deliveries still form one chain.
"""

from __future__ import annotations

import uuid

from modules.execution.contracts import CredentialUnsealed, OrderRejected
from modules.identity.contracts import UserReinstated, UserSuspended, UserTierChanged
from modules.kernel.metrics import Labelled
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.routing.contracts import KillSwitchChanged
from modules.vault.domain.audit_chain import AuditDraft, ChainCheck, ChainReport
from modules.vault.repository.audit_log import AuditLogRepository


class AuditTrail:
    def __init__(self, runtime: Runtime, audit_log: AuditLogRepository) -> None:
        self._runtime = runtime
        self._audit_log = audit_log
        self._unseals = Labelled(
            runtime.metrics.counter(
                "nija_vault_unseals_total",
                "Credentials opened to sign (outcome ok) or that would not open (failed), "
                "as audited",
                ["venue", "outcome"],
            )
        )

    def draft(
        self,
        *,
        user_id: str,
        action: str,
        actor_id: str,
        credential_id: str | None = None,
        venue: str | None = None,
        details: dict[str, object] | None = None,
    ) -> AuditDraft:
        """An entry stamped now, to append later (in the order given to `append`)."""
        return AuditDraft(
            user_id=user_id,
            action=action,
            at=self._runtime.clock(),
            credential_id=uuid.UUID(credential_id) if credential_id else None,
            venue=venue,
            actor_id=actor_id,
            details=dict(details or {}),
        )

    async def append(self, drafts: list[AuditDraft]) -> None:
        """Append entries, in order, inside the caller's transaction."""
        await self._audit_log.append(drafts)

    # What other modules report ---------------------------------------------------------------
    async def unsealed(self, events: list[CredentialUnsealed], uow: UnitOfWork) -> None:
        """Execution unsealed keys to sign orders; batched, so a burst takes the head lock once."""
        await self.append(
            [
                self.draft(
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
        self._count_after(uow, [event.venue for event in events], "ok")

    async def order_rejected(self, event: OrderRejected, uow: UnitOfWork) -> None:
        """Only a rejection for want of a usable key is an (unsuccessful) unseal."""
        if event.code != "credential_unavailable":
            return
        self._count_after(uow, [event.venue], "failed")
        entry = self.draft(
            user_id=event.user_id,
            action="unseal_failed",
            actor_id="execution",
            venue=event.venue,
            details={"order_id": event.order_id, "reason": event.reason[:200]},
        )
        await self.append([entry])

    def _count_after(self, uow: UnitOfWork, venues: list[str], outcome: str) -> None:
        def count() -> None:
            for venue in venues:
                self._unseals.labels(venue, outcome).inc()

        uow.after_commit(count)

    async def user_suspended(self, event: UserSuspended, uow: UnitOfWork) -> None:
        await self._admin(event, "admin_suspend", {"reason": event.reason[:200]})

    async def user_reinstated(self, event: UserReinstated, uow: UnitOfWork) -> None:
        await self._admin(event, "admin_reinstate", {})

    async def user_tier_changed(self, event: UserTierChanged, uow: UnitOfWork) -> None:
        await self._admin(event, "admin_tier_change", {"tier": event.tier})

    async def kill_switch_changed(self, event: KillSwitchChanged, uow: UnitOfWork) -> None:
        # The global switch is about no one user: its entries are filed under `global` (the
        # key routing keeps it under), so the audit filter finds them by that name.
        details: dict[str, object] = {
            "scope": event.scope,
            "set_by": event.set_by,
            "close_all_positions": event.close_all_positions,
        }
        if event.reason:
            details["reason"] = event.reason[:200]
        entry = self.draft(
            user_id=event.user_id if event.scope == "user" and event.user_id else "global",
            action="kill_switch_engaged" if event.active else "kill_switch_released",
            actor_id=event.actor_id or event.set_by,
            details=details,
        )
        await self.append([entry])

    async def _admin(
        self,
        event: UserSuspended | UserReinstated | UserTierChanged,
        action: str,
        details: dict[str, object],
    ) -> None:
        # Events published before they named the acting admin record only that an admin did.
        entry = self.draft(
            user_id=event.user_id,
            action=action,
            actor_id=event.actor_id or "admin",
            details=details,
        )
        await self.append([entry])

    # Checking the chain ----------------------------------------------------------------------
    async def verify_chain(self, batch: int = 500) -> ChainReport:
        """Recompute the chain from the first entry; report the first link that does not hold."""
        head = await self._audit_log.head()
        check = ChainCheck()
        after = 0
        while True:
            rows = await self._audit_log.entries_after(after, batch)
            rows = [row for row in rows if row.id <= head.last_id]
            for row in rows:
                broken = check.follow(row)
                if broken is not None:
                    return broken
                after = row.id
            if len(rows) < batch:
                break
        return check.finish(head)
