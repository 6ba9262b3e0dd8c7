"""Vault's subscriptions to other modules' contracts.

The vault reacts to no other module's events yet: a user's data key is created on their first
credential, not on `UserRegistered`, so accounts that never trade cost no key material. Later
subscriptions (e.g. revoking every credential when identity closes an account, or recording
execution's unseals in the audit log) are declared here.
"""

from __future__ import annotations

from collections.abc import Sequence

from modules.kernel.module import Subscription
from modules.vault.service import VaultService


def subscriptions(service: VaultService) -> Sequence[Subscription]:
    """The durable subscriptions of the vault module, bound to its service."""
    del service  # no handler needs it yet
    return []
