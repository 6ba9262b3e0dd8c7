"""Identity's subscriptions to other modules' contracts.

Identity is upstream of every other module (it is the source of users and roles) and reacts to
no one else's events yet, so it subscribes to nothing. Later subscriptions (e.g. locking an
account when risk flags it) are declared here and returned by `subscriptions`.
"""

from __future__ import annotations

from collections.abc import Sequence

from modules.identity.service import IdentityService
from modules.kernel.module import Subscription


def subscriptions(service: IdentityService) -> Sequence[Subscription]:
    """The durable subscriptions of the identity module, bound to its service."""
    del service  # no handler needs it yet
    return []
