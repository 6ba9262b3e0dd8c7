"""Counting what the database is asked: statements and transactions, by module schema.

The order path's cost is counted in round trips, not only in seconds (a statement costs the
event loop 50-100 µs of driver work whatever it does), so the platform can count them itself:
with `NIJA_DB_STATEMENT_STATS=1` every pooled connection reports each statement through
asyncpg's query logger, and the tally is exported as `nija_db_statements_total{schema}` and
`nija_db_transactions_total{schema}`. `bench/orders.py` divides them by the orders it placed;
`tests/e2e/test_order_statements.py` fails when an order costs more than its budget.

A statement belongs to the first module schema its text names (`routing.orders` → routing;
`kernel.state` → kernel, the state port). Transaction control (BEGIN, COMMIT, ROLLBACK,
savepoints) is not a statement here: a COMMIT counts one transaction for the schema of the
first statement inside it, and a statement outside any transaction is a transaction of its own,
as PostgreSQL's `xact_commit` counts them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

import asyncpg
from asyncpg.connection import LoggedQuery
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

_SCHEMA = re.compile(r'\b(identity|vault|routing|execution|dashboard|strategy|kernel)"?\.')
_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "START TRANSACTION", "END")
OTHER = "other"
# asyncpg asks the server about a type the first time a connection meets it (and toggles JIT
# around the question): a cost per connection and type, not per order, counted apart.
DRIVER = "driver"
_INTROSPECTION = ("typeinfo_tree", "current_setting('jit')", "set_config('jit'")
# The simulated venues keep their books and wallets in execution's schema; with a real exchange
# that work happens at the exchange, so it is counted as the venue's, not the platform's.
SIM_VENUE = "sim_venue"
_SIM_TABLES = re.compile(r'\bexecution"?\."?sim_')
# Enough of a statement's text to tell it from the module's others, short enough for a label.
TEXT_LABEL_CHARS = 200


@lru_cache(maxsize=4096)
def schema_of(query: str) -> str:
    """The module a statement works for: the first schema its text names.

    Cached by text: the order path sends a few dozen distinct statements thousands of times, and
    matching each one's text again cost the bench 4 % of the app's CPU it measures."""
    if any(marker in query for marker in _INTROSPECTION):
        return DRIVER
    if _SIM_TABLES.search(query):
        return SIM_VENUE
    found = _SCHEMA.search(query)
    return found.group(1) if found else OTHER


@lru_cache(maxsize=4096)
def _control_of(query: str) -> str | None:
    """The transaction-control statement `query` is (upper case), or None for any other."""
    stripped = query.lstrip()
    return stripped.upper() if stripped[:17].upper().startswith(_CONTROL) else None


def _verb(query: str) -> str:
    return query.lstrip().split(None, 1)[0].rstrip(";").upper() if query.strip() else ""


class StatementTally:
    """Statements and transactions per schema, across every connection it watches."""

    def __init__(self, *, by_text: bool = False) -> None:
        # With `by_text`, also counts each statement's text (whitespace folded): where a
        # module's statements go, for the benchmark's breakdown.
        self.by_text: Counter[str] | None = Counter() if by_text else None
        self.statements: Counter[str] = Counter()
        self.transactions: Counter[str] = Counter()
        self.rollbacks: Counter[str] = Counter()

    def watch(self, connection: asyncpg.Connection) -> None:
        connection.add_query_logger(_ConnectionTally(self))

    def total(self, counts: Counter[str], schemas: Iterable[str] | None = None) -> int:
        return sum(n for schema, n in counts.items() if schemas is None or schema in schemas)

    def snapshot(self) -> tuple[Counter[str], Counter[str]]:
        return Counter(self.statements), Counter(self.transactions)

    def export_to(self, registry: CollectorRegistry) -> None:
        registry.register(_TallyCollector(self))


class _TallyCollector(Collector):
    def __init__(self, tally: StatementTally) -> None:
        self._tally = tally

    def collect(self) -> Iterable[CounterMetricFamily]:
        tally = self._tally
        for name, doc, counts in (
            ("nija_db_statements", "SQL statements sent, by module schema", tally.statements),
            ("nija_db_transactions", "Transactions committed, by schema", tally.transactions),
            ("nija_db_rollbacks", "Transactions rolled back, by schema", tally.rollbacks),
        ):
            family = CounterMetricFamily(name, doc, labels=["schema"])
            for schema, count in sorted(counts.items()):
                family.add_metric([schema], count)
            yield family
        if tally.by_text is not None:
            texts = CounterMetricFamily(
                "nija_db_statement_texts", "SQL statements sent, by text", labels=["schema", "text"]
            )
            labelled: Counter[tuple[str, str]] = Counter()
            for text, count in tally.by_text.items():  # two texts may share their first chars
                labelled[(schema_of(text), text[:TEXT_LABEL_CHARS])] += count
            for labels, count in sorted(labelled.items()):
                texts.add_metric(list(labels), count)
            yield texts


class _ConnectionTally:
    """One connection's view: whether a transaction is open, and whose it is.

    asyncpg calls query loggers in order through `loop.call_soon`, so a connection's statements
    arrive here in the order it sent them.
    """

    def __init__(self, tally: StatementTally) -> None:
        self._tally = tally
        self._in_transaction = False
        self._owner: str | None = None

    def __call__(self, logged: LoggedQuery) -> None:
        control = _control_of(logged.query)
        if control is not None:
            self._control(control)
            return
        schema = schema_of(logged.query)
        self._tally.statements[schema] += 1
        if self._tally.by_text is not None:
            self._tally.by_text[" ".join(logged.query.split())] += 1
        if self._in_transaction:
            self._owner = self._owner or schema
        else:
            self._tally.transactions[schema] += 1

    def _control(self, statement: str) -> None:
        if statement.startswith(("ROLLBACK TO", "SAVEPOINT", "RELEASE")):
            return  # a savepoint's work goes on inside the same transaction
        verb = _verb(statement)
        if verb in ("BEGIN", "START"):
            self._in_transaction, self._owner = True, None
        elif verb in ("COMMIT", "END") and self._in_transaction:
            self._tally.transactions[self._owner or OTHER] += 1
            self._in_transaction = False
        elif verb == "ROLLBACK" and self._in_transaction:
            self._tally.rollbacks[self._owner or OTHER] += 1
            self._in_transaction = False
