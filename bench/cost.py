"""What a load phase cost, per order: statements and transactions by module, and CPU by process.

The platform counts its own statements and transactions when `NIJA_DB_STATEMENT_STATS=1`
(`nija_db_statements_total{schema}`, `nija_db_transactions_total{schema}` on `/metrics`); the
server's own count of commits comes from `pg_stat_database.xact_commit` of the platform's
database; CPU is read per process from the kernel (user + system time): the `nija run` process,
and the PostgreSQL processes serving it (the embedded server's whole process group, or on an
external server the backends connected to the bench's database). The simulated exchanges' own
sessions (`application_name` nija-sim-exchange) are PostgreSQL processes too; their CPU is also
printed on its own, and the PostgreSQL figure held to the target is the rest: with a real
exchange that work happens at the exchange.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import asyncpg
import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families

from modules.execution.adapters.sim_venue.venue import EXCHANGE_SESSIONS

_SAMPLE = re.compile(r'^(nija_db_statements|nija_db_transactions)_total\{schema="([^"]+)"\} (\S+)$')
# Counted apart from the order path's own work (see modules/kernel/statements.py).
APART = ("driver", "sim_venue")
_COMMITS = "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
_EXCHANGE_PIDS = (
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1"
)


@dataclass
class CostSnapshot:
    statements: Counter[str] = field(default_factory=Counter)
    transactions: Counter[str] = field(default_factory=Counter)
    xact_commit: int = 0
    app_cpu: float = 0.0
    app_cpu_each: list[float] = field(default_factory=list)
    db_cpu: float = 0.0
    # The simulated exchanges' server processes: CPU seconds by pid (a pid new since the other
    # snapshot counts whole).
    exchange_cpu: dict[int, float] = field(default_factory=dict)
    # (module, statement text) -> count, when the platform counts texts (`--statements`).
    texts: Counter[tuple[str, str]] = field(default_factory=Counter)


def _cpu_seconds(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.Error:
        return 0.0
    return float(times.user + times.system)


def embedded_database_url(data_dir: Path) -> str | None:
    """The embedded server's URL, from the postmaster.pid PostgreSQL writes into its data dir."""
    found = next(iter(data_dir.glob("**/postmaster.pid")), None)
    if found is None:
        return None
    # Lines: pid, data dir, start time, port, socket directory, listen address, ...
    lines = found.read_text().splitlines()
    port, sockets = lines[3].strip(), lines[4].strip()
    host = quote(sockets, safe="") if sockets else "127.0.0.1"  # a Unix socket's directory
    return f"postgresql://postgres@{host}:{port}/nija"


class CostProbe:
    """Snapshots of the counters and CPU of one running platform."""

    def __init__(self, base_urls: list[str], app_pids: list[int], database_url: str | None) -> None:
        self._base_urls = base_urls
        self._apps = [psutil.Process(pid) for pid in app_pids]
        self._database_url = database_url

    def _database_processes(self) -> list[psutil.Process]:
        """PostgreSQL processes working for this platform only."""
        found = []
        database = (self._database_url or "").rsplit("/", 1)[-1].split("?")[0]
        embedded_group = _pgid(self._apps[0].pid)
        for process in psutil.process_iter(attrs=["name", "cmdline"]):
            if process.info.get("name") != "postgres":
                continue
            if _pgid(process.pid) == embedded_group:
                found.append(process)  # the embedded server runs in nija's process group
            elif database and any(database in part for part in process.info["cmdline"] or []):
                found.append(process)  # an external server's backend on the bench database
        return found

    async def snapshot(self) -> CostSnapshot:
        snap = CostSnapshot(app_cpu=sum(_cpu_seconds(app) for app in self._apps))
        snap.app_cpu_each = [_cpu_seconds(app) for app in self._apps]
        snap.db_cpu = sum(_cpu_seconds(p) for p in self._database_processes())
        async with httpx.AsyncClient(timeout=10) as client:
            for base_url in self._base_urls:
                metrics = (await client.get(f"{base_url}/metrics")).text
                for line in metrics.splitlines():
                    sample = _SAMPLE.match(line)
                    if sample:
                        kind, schema, value = sample.groups()
                        statements = kind == "nija_db_statements"
                        counts = snap.statements if statements else snap.transactions
                        counts[schema] += int(float(value))
                if "nija_db_statement_texts_total" in metrics:
                    _add_texts(snap.texts, metrics)
        if self._database_url:
            connection = await asyncpg.connect(self._database_url)
            try:
                snap.xact_commit = int(await connection.fetchval(_COMMITS))
                for row in await connection.fetch(_EXCHANGE_PIDS, EXCHANGE_SESSIONS):
                    with contextlib.suppress(psutil.Error):
                        snap.exchange_cpu[row["pid"]] = _cpu_seconds(psutil.Process(row["pid"]))
            finally:
                await connection.close()
        return snap


def _add_texts(texts: Counter[tuple[str, str]], metrics: str) -> None:
    for family in text_string_to_metric_families(metrics):
        if family.name == "nija_db_statement_texts":
            for sample in family.samples:
                texts[(sample.labels["schema"], sample.labels["text"])] += int(sample.value)


def texts_report(before: CostSnapshot, after: CostSnapshot, orders: int, top: int) -> str:
    """The `top` statements sent most per order, with their module; the work counted apart
    (driver, simulated venue) is left out."""
    used = Counter(after.texts)
    used.subtract(before.texts)
    ranked = [(key, n) for key, n in used.most_common() if n > 0 and key[0] not in APART]
    lines = [f"statements sent most per order (top {top} of {len(ranked)})"]
    for (schema, text), count in ranked[:top]:
        lines.append(f"  {count / max(orders, 1):5.2f}  {schema:<10} {text[:110]}")
    return "\n".join(lines)


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


def cost_report(before: CostSnapshot, after: CostSnapshot, orders: int) -> str:
    """Per order: statements and transactions by module, commits seen by the server, CPU."""
    if orders <= 0:
        return "cost per order: no order filled"
    schemas = sorted(set(after.statements) | set(after.transactions))
    lines = [
        f"cost per order ({orders} orders)",
        f"  {'module':<12}{'statements':>12}{'transactions':>14}",
    ]
    total_s = total_t = 0.0
    for schema in schemas:
        s = (after.statements[schema] - before.statements[schema]) / orders
        t = (after.transactions[schema] - before.transactions[schema]) / orders
        if s == 0 and t == 0:
            continue
        label = f"({schema})" if schema in APART else schema
        if schema not in APART:
            total_s, total_t = total_s + s, total_t + t
        lines.append(f"  {label:<12}{s:>12.1f}{t:>14.1f}")
    lines.append(f"  {'total':<12}{total_s:>12.1f}{total_t:>14.1f}   (targets: 15 and 5)")
    if after.xact_commit:
        commits = (after.xact_commit - before.xact_commit) / orders
        lines.append(f"  server commits (pg_stat_database.xact_commit): {commits:.1f}")
    app_ms = (after.app_cpu - before.app_cpu) * 1000 / orders
    exchange = sum(
        cpu - before.exchange_cpu.get(pid, 0.0) for pid, cpu in after.exchange_cpu.items()
    )
    exchange_ms = exchange * 1000 / orders
    db_ms = (after.db_cpu - before.db_cpu) * 1000 / orders - exchange_ms
    lines.append(f"  CPU: app {app_ms:.2f} ms, PostgreSQL {db_ms:.2f} ms   (targets: 3 and 2.5)")
    lines.append(
        f"  (PostgreSQL CPU of the simulated exchanges' own sessions: {exchange_ms:.2f} ms)"
    )
    if len(after.app_cpu_each) > 1:
        each = [
            f"{(a - b) * 1000 / orders:.2f}"
            for a, b in zip(after.app_cpu_each, before.app_cpu_each, strict=True)
        ]
        lines.append(f"  CPU per app process (ms per order): {', '.join(each)}")
    lines.append("  (parenthesised rows are counted apart: driver type look-ups, simulated venue)")
    return "\n".join(lines)
