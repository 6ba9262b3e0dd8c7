"""Scheduled transit key rotation: a few times per interval, rotate if a rotation is due.

A failed round (the keyring or the database briefly away) is logged and counted by `Worker` and
tried again next period.
"""

from __future__ import annotations

from modules.kernel.metrics import Metrics
from modules.kernel.worker import Worker
from modules.vault.domain.key_rotation import check_period
from modules.vault.service.transit_keys import TransitKeys


class KeyRotationWorker(Worker):
    def __init__(
        self, transit_keys: TransitKeys, interval_seconds: float, metrics: Metrics
    ) -> None:
        super().__init__(
            "vault-key-rotation",
            transit_keys.rotate_when_due,
            period=check_period(interval_seconds),
            metrics=metrics,
        )
