"""How the statement counter attributes what a connection sends: to the first module schema a
statement names, a transaction to the schema of its first statement, the simulated venues' and
the driver's own work apart. No database: a connection's query log is replayed by hand."""

from __future__ import annotations

from collections.abc import Callable

from asyncpg.connection import LoggedQuery
from prometheus_client import CollectorRegistry

from modules.kernel.statements import (
    DRIVER,
    OTHER,
    SIM_VENUE,
    TEXT_LABEL_CHARS,
    StatementTally,
    schema_of,
)


class FakeConnection:
    def __init__(self) -> None:
        self.loggers: list[Callable[[LoggedQuery], None]] = []

    def add_query_logger(self, logger: Callable[[LoggedQuery], None]) -> None:
        self.loggers.append(logger)

    def send(self, *queries: str) -> None:
        for query in queries:
            for logger in self.loggers:
                logger(LoggedQuery(query, (), None, 0.0, None, None, None))


def watched() -> tuple[StatementTally, FakeConnection]:
    tally, connection = StatementTally(by_text=True), FakeConnection()
    tally.watch(connection)  # type: ignore[arg-type]
    return tally, connection


def test_a_statement_belongs_to_the_first_schema_it_names() -> None:
    assert schema_of("SELECT * FROM routing.orders JOIN dashboard.routes USING (id)") == "routing"
    assert schema_of('INSERT INTO "execution"."orders" VALUES ($1)') == "execution"
    assert schema_of("SELECT value FROM kernel.state WHERE key = $1") == "kernel"
    assert schema_of("SELECT 1") == OTHER
    assert schema_of("SELECT * FROM execution.sim_trades") == SIM_VENUE
    assert schema_of("WITH RECURSIVE typeinfo_tree(oid) AS (SELECT 1) SELECT 1") == DRIVER
    # Cached by text, and the cache answers as the rule does.
    assert schema_of("SELECT * FROM routing.orders JOIN dashboard.routes USING (id)") == "routing"


def test_a_transaction_counts_once_for_the_schema_of_its_first_statement() -> None:
    tally, connection = watched()
    connection.send(
        "BEGIN",
        "SELECT * FROM dashboard.orders FOR UPDATE",
        "INSERT INTO dashboard.outbox VALUES ($1)",
        "INSERT INTO kernel.state VALUES ($1)",
        "COMMIT",
    )
    assert tally.statements == {"dashboard": 2, "kernel": 1}
    assert tally.transactions == {"dashboard": 1}


def test_a_statement_outside_a_transaction_is_a_transaction_of_its_own() -> None:
    tally, connection = watched()
    connection.send("SELECT * FROM vault.audit_head", "  select 1")
    assert tally.transactions == {"vault": 1, OTHER: 1}


def test_savepoints_stay_inside_and_a_rollback_is_counted_apart() -> None:
    tally, connection = watched()
    connection.send(
        "BEGIN",
        "SAVEPOINT s1",
        "UPDATE strategy.bots SET x = 1",
        "ROLLBACK TO SAVEPOINT s1",
        "RELEASE SAVEPOINT s1",
        "COMMIT;",
        "begin",
        "DELETE FROM identity.sessions",
        "rollback",
    )
    assert tally.statements == {"strategy": 1, "identity": 1}
    assert tally.transactions == {"strategy": 1}
    assert tally.rollbacks == {"identity": 1}
    assert tally.by_text is not None and tally.by_text["UPDATE strategy.bots SET x = 1"] == 1


def test_texts_are_exported_with_their_module_and_texts_sharing_a_prefix_add_up() -> None:
    tally, connection = watched()
    shared = "SELECT * FROM routing.orders WHERE " + "x = 1 AND " * 30
    connection.send(shared + "a = 1", shared + "b = 2", "SELECT * FROM execution.sim_orders")
    registry = CollectorRegistry()
    tally.export_to(registry)
    exported = {
        (sample.labels["schema"], sample.labels["text"]): sample.value
        for family in registry.collect()
        if family.name == "nija_db_statement_texts"
        for sample in family.samples
    }
    assert exported == {
        ("routing", " ".join(shared.split())[:TEXT_LABEL_CHARS]): 2,
        (SIM_VENUE, "SELECT * FROM execution.sim_orders"): 1,
    }


def test_without_texts_only_the_schemas_are_exported() -> None:
    tally, connection = StatementTally(), FakeConnection()
    tally.watch(connection)  # type: ignore[arg-type]
    connection.send("SELECT * FROM routing.orders")
    registry = CollectorRegistry()
    tally.export_to(registry)
    names = {family.name for family in registry.collect()}
    assert names == {"nija_db_statements", "nija_db_transactions", "nija_db_rollbacks"}
