"""Balance reports: what a venue account holds, valued in USD, published as `BalanceChanged`.

Read from the venue (the simulated exchange's paper wallet or the real account through ccxt)
after a placement that filled something and when a credential is verified. Routing sizes
positions from the equity these events carry.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from decimal import Decimal

from modules.execution.contracts import BalanceChanged
from modules.execution.domain.venue import VenueFault, VenueRejected, VenueUnavailable
from modules.execution.domain.wallet import DOLLARS, equity_usd
from modules.execution.ports import ReportsBalances, Venue
from modules.kernel.batches import LatestByKey
from modules.kernel.events import IntegrationEvent
from modules.kernel.module import Runtime
from modules.kernel.sealing import CredentialMaterial

log = logging.getLogger("nija.execution")
READ_TIMEOUT_SECONDS = 5.0


MidOf = Callable[[str, str], Decimal | None]


def _unknown(venue: str, symbol: str) -> None:
    return None


async def valued(
    venue: Venue, balances: dict[str, Decimal], known_mid: MidOf = _unknown
) -> Decimal:
    """The balances' USD equity: dollars at par, other assets at the venue's own mid: the one
    `known_mid` has from the last book published (at most a market tick old), else the book's
    now."""
    mids: dict[str, Decimal] = {}
    for asset, amount in balances.items():
        symbol = f"{asset}/USD"
        if asset in DOLLARS or amount == 0 or symbol not in venue.symbols:
            continue
        mid = known_mid(venue.name, symbol)
        if mid is None:
            book = await venue.book(symbol)
            if book.bids and book.asks:
                mid = (book.bids[0].price + book.asks[0].price) / 2
        if mid is not None:
            mids[asset] = mid
    return equity_usd(balances, mids)


async def read_balances(venue: Venue, material: CredentialMaterial) -> dict[str, Decimal] | None:
    """The account's balances, or None when the venue does not report them."""
    if not isinstance(venue, ReportsBalances):
        return None
    return await asyncio.wait_for(venue.balances(material), READ_TIMEOUT_SECONDS)


class BalanceReports:
    def __init__(
        self, runtime: Runtime, *, known_mid: MidOf = _unknown, linger_seconds: float = 0.1
    ) -> None:
        # A fill's report values the account at the mids the market reports keep: reading the
        # book again for each fill cost the venue a statement per order.
        self._known_mid = known_mid
        # An account's balances are a snapshot: the reports of fills finishing close together
        # share one outbox statement (no transaction around it), and a newer report of an
        # account replaces one not yet written. The placement waits for its report's batch:
        # a worker that took its next order at once would pile orders onto an overloaded venue
        # faster than they are settled, until placements time out and open its breaker.
        self._reports: LatestByKey[tuple[str, str], IntegrationEvent] = LatestByKey(
            runtime.publisher("execution"),
            name="publish:execution.balances",
            linger_seconds=linger_seconds,
            failures=runtime.metrics.worker_failures.labels("execution.balances"),
        )

    async def idle(self) -> None:
        await self._reports.idle()

    async def close(self) -> None:
        await self._reports.close()

    async def after_fill(
        self,
        *,
        user_id: str,
        credential_id: str,
        venue: Venue,
        material: CredentialMaterial,
    ) -> None:
        """Publish the account's balances after fills were recorded (outside the order's
        transaction). A venue that cannot say now is skipped: the next fill reports again."""
        try:
            balances = await read_balances(venue, material)
            if balances is None:
                return
            equity = await valued(venue, balances, self._known_mid)
        except (VenueFault, VenueUnavailable, VenueRejected, TimeoutError) as error:
            log.warning(
                "balances not read after a fill",
                extra={"venue": venue.name, "user_id": user_id, "error": type(error).__name__},
            )
            return
        await self._reports.submit(
            (venue.name, credential_id),
            BalanceChanged(
                user_id=user_id,
                venue=venue.name,
                credential_id=credential_id,
                balances=balances,
                equity_usd=equity,
            ),
        )
