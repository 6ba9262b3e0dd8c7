"""Vault's subscriptions to other modules' contracts, each straight into a use case.

- execution's answer to a verification request is folded into the credential's status;
- execution's unseals and failed unseals (an `OrderRejected` with `credential_unavailable`) are
  written to the audit log with the order they were for; unseals, one per order placed, are
  group-committed: the deliveries that arrive together are appended in one transaction;
- identity's admin actions on a user (suspend, reinstate, tier change) are audited too, and so
  is every kill switch engaged or released (routing's `KillSwitchChanged`: who, why, close-all).

All run behind the inbox, so a redelivered event is a no-op.
"""

from __future__ import annotations

from collections.abc import Sequence

from modules.execution.contracts import CredentialUnsealed, CredentialVerified, OrderRejected
from modules.identity.contracts import UserReinstated, UserSuspended, UserTierChanged
from modules.kernel.module import Subscription
from modules.routing.contracts import KillSwitchChanged
from modules.vault.service.audit_trail import AuditTrail
from modules.vault.service.credentials import Credentials


def subscriptions(credentials: Credentials, audit: AuditTrail) -> Sequence[Subscription]:
    return [
        Subscription(CredentialVerified, credentials.record_verification, "credential-verified"),
        Subscription(CredentialUnsealed, audit.unsealed, "credential-unsealed", batched=True),
        Subscription(OrderRejected, audit.order_rejected, "order-rejected"),
        Subscription(UserSuspended, audit.user_suspended, "user-suspended"),
        Subscription(UserReinstated, audit.user_reinstated, "user-reinstated"),
        Subscription(UserTierChanged, audit.user_tier_changed, "user-tier-changed"),
        Subscription(KillSwitchChanged, audit.kill_switch_changed, "kill-switch-changed"),
    ]
