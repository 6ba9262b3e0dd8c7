"""Identity's subscriptions to other modules' contracts: none.

Identity is upstream of every other module (it is the source of users and roles) and reacts to
no one else's events yet. A subscription is one line here, straight into a service method.
"""

from __future__ import annotations

from modules.kernel.module import Subscription

SUBSCRIPTIONS: tuple[Subscription, ...] = ()
