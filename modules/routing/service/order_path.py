"""Routing's order path: what execution reports of an order, folded in one batch.

Execution publishes an order's acceptance, its fills and the position they moved in one
transaction, and the balance report soon after; routing used to take each topic in a batch of
its own (a transaction, an inbox statement and a commit each). The kernel now hands them over
together (`Subscription.group`), and this fold takes them kind by kind in a fixed order: every
order report sorted by order id, then positions by position id, then balances by credential.
Each replica locks rows in that same order, so two batches that touch the same rows wait for
each other instead of deadlocking; reports of one order keep the order they were published in.
An acceptance followed by a fill of the same attempt is recorded by the fill's statement, and
a batch whose attempts each bring only such a fill (market orders', nearly always) folds
them all in one statement, locking in the same order.
"""

from __future__ import annotations

from typing import Any

from modules.execution.contracts import (
    BalanceChanged,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    PositionChanged,
)
from modules.kernel.outbox import UnitOfWork
from modules.routing.service.positions import Positions
from modules.routing.service.reports import Reports

OrderReport = OrderAccepted | OrderFilled | OrderExpired | OrderRejected | OrderCancelled
ORDER_REPORTS = (OrderAccepted, OrderFilled, OrderExpired, OrderRejected, OrderCancelled)


class OrderPath:
    def __init__(self, reports: Reports, positions: Positions) -> None:
        self._reports = reports
        self._positions = positions

    async def fold(self, events: list[Any], uow: UnitOfWork) -> None:
        reports = [event for event in events if isinstance(event, ORDER_REPORTS)]
        # Sorting is stable: one order's reports keep the order they were published in.
        ordered = sorted(reports, key=lambda event: event.order_id)
        fills, ordered = _lone_fills(ordered)
        if fills:
            await self._reports.orders_filled(fills, uow)
        riding: OrderAccepted | None = None
        for index, report in enumerate(ordered):
            following = ordered[index + 1] if index + 1 < len(ordered) else None
            if _accepted_then_filled(report, following):
                assert isinstance(report, OrderAccepted)
                riding = report  # recorded with the fill that follows it
                continue
            if isinstance(report, OrderFilled) and riding is not None:
                await self._reports.order_filled(report, uow, accepted=riding)
                riding = None
                continue
            await self._report(report, uow)
        moved = [event for event in events if isinstance(event, PositionChanged)]
        if moved:
            await self._positions.positions_changed(moved, uow)
        balances = [event for event in events if isinstance(event, BalanceChanged)]
        if balances:
            await self._positions.balances_changed(balances, uow)

    async def _report(self, report: OrderReport, uow: UnitOfWork) -> None:
        match report:
            case OrderAccepted():
                await self._reports.order_accepted(report, uow)
            case OrderFilled():
                await self._reports.order_filled(report, uow)
            case OrderExpired():
                await self._reports.order_expired(report, uow)
            case OrderRejected():
                await self._reports.order_rejected(report, uow)
            case OrderCancelled():
                await self._reports.order_cancelled(report, uow)


def _lone_fills(
    ordered: list[OrderReport],
) -> tuple[list[tuple[OrderFilled, OrderAccepted | None]], list[OrderReport]]:
    """When every attempt's only news in the batch is one fill (perhaps after its acceptance),
    the common case: those fills, folded together (their rows locked in attempt order, as the
    one-by-one path locks them); otherwise the reports, folded one by one."""
    by_attempt: dict[str, list[OrderReport]] = {}
    for report in ordered:
        by_attempt.setdefault(report.order_id, []).append(report)
    lone: list[tuple[OrderFilled, OrderAccepted | None]] = []
    for reports in by_attempt.values():
        match reports:
            case [OrderFilled() as fill]:
                lone.append((fill, None))
            case [OrderAccepted() as accepted, OrderFilled() as fill]:
                lone.append((fill, accepted))
            case _:
                return [], ordered
    return (lone, []) if len(lone) > 1 else ([], ordered)


def _accepted_then_filled(report: OrderReport, following: OrderReport | None) -> bool:
    """An acceptance directly followed by a fill of the same attempt (a market order's)."""
    return (
        isinstance(report, OrderAccepted)
        and isinstance(following, OrderFilled)
        and following.order_id == report.order_id
    )
