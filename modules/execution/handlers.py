"""Execution's subscriptions: vault's credentials (sealed copies), routing's orders, and
strategy's requests for market history (backtests)."""

from __future__ import annotations

from modules.execution.service.cancels import Cancels
from modules.execution.service.credentials import Credentials
from modules.execution.service.intake import Intake
from modules.execution.service.market_history import MarketHistory
from modules.execution.service.verification import CredentialVerification
from modules.kernel.module import Subscription
from modules.routing.contracts import CancelOrderRequested, KillSwitchChanged, OrderRouted
from modules.strategy.contracts import MarketHistoryRequested
from modules.vault.contracts import (
    CredentialRevoked,
    CredentialStored,
    CredentialVerificationRequested,
    UserDataKeyRewrapped,
)


def subscriptions(
    intake: Intake,
    credentials: Credentials,
    verification: CredentialVerification,
    cancels: Cancels,
    history: MarketHistory,
) -> list[Subscription]:
    # Order-routed is one per order placed, so it is group-committed (`GroupCommit`), each
    # batch queued in one statement, in order-id order; queuing locks nothing.
    verify = verification.verify
    return [
        Subscription(CredentialStored, credentials.store, "credential-stored"),
        Subscription(CredentialRevoked, credentials.revoke, "credential-revoked"),
        Subscription(UserDataKeyRewrapped, credentials.rewrap, "data-key-rewrapped"),
        Subscription(OrderRouted, intake.enqueue, "order-routed", batched=True),
        Subscription(KillSwitchChanged, intake.halt_queued, "kill-switch-changed"),
        Subscription(CancelOrderRequested, cancels.request, "order-cancel-requested"),
        Subscription(CredentialVerificationRequested, verify, "credential-verification-requested"),
        Subscription(MarketHistoryRequested, history.serve, "market-history-requested"),
    ]
