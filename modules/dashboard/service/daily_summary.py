"""The daily summary: each trader's trades, P&L and win rate of their day, at the time they chose.

The tally is the dashboard's own (service/trade_alerts.py adds to it from every position event
it folds), kept per user and local day. A round looks at the tallies of the last two UTC days
(a local day of any time zone lies within them), and sends each one whose time has come in its
user's zone, recording the day as summarised in the same transaction as the notification and its
push: once per day per user, whichever replica sends it, also across a restart.
"""

from __future__ import annotations

import logging
from datetime import timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from modules.dashboard.domain import push as rules
from modules.dashboard.domain.daily_summary import summary_due
from modules.dashboard.repository.accounts import AccountRepository, TallyDue
from modules.dashboard.service.push import Notifier
from modules.kernel.module import Runtime

log = logging.getLogger("nija.dashboard.daily_summary")


def zone_of(name: str) -> tzinfo:
    """The user's time zone; UTC for a name the time zone database does not know."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


class DailySummaries:
    def __init__(self, runtime: Runtime, accounts: AccountRepository, notifier: Notifier) -> None:
        self._runtime = runtime
        self._accounts = accounts
        self._notifier = notifier

    async def send_due(self) -> int:
        """One round; how many summaries went out."""
        now = self._runtime.clock()
        since = (now - timedelta(days=1)).date()
        async with self._runtime.db.connection() as conn:
            tallies = await self._accounts.tallies_not_summarised(conn, since)
        sent = 0
        for tally in tallies:
            due = summary_due(now, zone_of(tally.timezone), tally.summary_time, tally.last_sent)
            if due == tally.day and await self._send(tally):
                sent += 1
        return sent

    async def _send(self, tally: TallyDue) -> bool:
        push = rules.daily_summary(tally.trades, tally.pnl, tally.wins, tally.losses)
        async with self._runtime.unit_of_work("dashboard") as uow:
            if not await self._accounts.claim_summary(
                uow.conn, tally.user_id, tally.day, self._runtime.clock()
            ):
                return False  # another replica (or an earlier round) sent it
            await self._notifier.notify(
                uow,
                tally.user_id,
                kind="daily_summary",
                title=f"Daily summary, {tally.day.isoformat()}",
                body=push.body,
                push=push,
                dedupe_key=f"daily-summary:{tally.user_id}:{tally.day.isoformat()}",
            )
        return True
