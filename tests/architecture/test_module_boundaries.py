"""Architecture rules of the modular monolith, checked on the source and the live objects.

- a module imports only `modules.kernel` and other modules' `contracts`;
- the kernel imports no module;
- every table lives in its module's schema, and no foreign key crosses schemas;
- every subscribed topic is declared by a literal `TOPIC` in some module's contracts.py.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

import pytest
from piccolo.columns import ForeignKey
from piccolo.conf.apps import AppConfig
from piccolo.table import Table

from modules.kernel.events import TOPICS, IntegrationEvent
from modules.kernel.settings import ALL_MODULES
from modules.kernel.tables import tables_app

ROOT = Path(__file__).resolve().parents[2]
MODULES_DIR = ROOT / "modules"


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                found.append((node.lineno, "<relative import>"))
            elif node.module:
                found.append((node.lineno, node.module))
                # `from modules.vault import service` names a submodule through the alias.
                found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return found


def _violations(module: str) -> list[str]:
    bad: list[str] = []
    for path in sorted((MODULES_DIR / module).rglob("*.py")):
        for line, name in _imports(path):
            where = f"{path.relative_to(ROOT)}:{line} imports {name}"
            if name == "<relative import>":
                bad.append(where + " (use absolute imports)")
                continue
            parts = name.split(".")
            if parts[0] != "modules" or len(parts) < 2:
                continue
            target = parts[1]
            if module == "kernel" and target != "kernel":
                bad.append(where + " (the kernel imports no module)")
            elif target not in (module, "kernel") and target in ALL_MODULES:
                if len(parts) > 2 and parts[2] != "contracts":
                    bad.append(where + " (only another module's contracts may be imported)")
    return bad


@pytest.mark.parametrize("module", ("kernel", *ALL_MODULES))
def test_module_imports_only_kernel_and_contracts(module: str) -> None:
    assert _violations(module) == []


def test_boundary_checker_catches_a_reach_into_internals(tmp_path: Path) -> None:
    """Guard the guard: a forbidden import in a module file is reported."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from modules.vault.service import VaultService\n"
        "from modules.vault import repository\n"
        "from modules.vault.contracts import CredentialStored\n"
    )
    names = [name for _, name in _imports(sample)]
    assert "modules.vault.service" in names and "modules.vault.repository" in names


def _tables_files(module: str) -> list[ModuleType]:
    """`tables.py`, or every file of the `tables/` package."""
    tables = importlib.import_module(f"modules.{module}.tables")
    if not hasattr(tables, "__path__"):
        return [tables]
    return [
        importlib.import_module(f"modules.{module}.tables.{info.name}")
        for info in pkgutil.iter_modules(tables.__path__)
    ]


def _app_config(module: str) -> AppConfig:
    config: AppConfig = importlib.import_module(tables_app(module)).APP_CONFIG
    return config


def _module_tables(module: str) -> list[type[Table]]:
    found = {
        obj
        for tables_module in _tables_files(module)
        for obj in vars(tables_module).values()
        if isinstance(obj, type) and issubclass(obj, Table) and obj is not Table
    }
    found.update(_app_config(module).table_classes)
    return sorted(found, key=lambda t: t._meta.tablename)


@pytest.mark.parametrize("module", ("kernel", *ALL_MODULES))
def test_tables_live_in_their_module_schema(module: str) -> None:
    tables = _module_tables(module)
    assert tables, f"{module} declares no tables"
    for table in tables:
        assert table._meta.schema == module, f"{table.__name__} is in {table._meta.schema}"
        assert table in _app_config(module).table_classes


@pytest.mark.parametrize("module", ("kernel", *ALL_MODULES))
def test_no_foreign_key_crosses_modules(module: str) -> None:
    for table in _module_tables(module):
        for column in table._meta.foreign_key_columns:
            assert isinstance(column, ForeignKey)
            target = column._foreign_key_meta.resolved_references
            assert target._meta.schema == module, (
                f"{table.__name__}.{column._meta.name} references {target._meta.schema}"
            )


def test_only_tables_defines_tables() -> None:
    for path in MODULES_DIR.rglob("*.py"):
        if path.name in ("tables.py", "outbox.py") or path.parent.name == "tables":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(b) for b in node.bases}
                assert "Table" not in bases, f"{path}: table {node.name} outside tables"


def _declared_topic_literals() -> dict[str, str]:
    """Topic literal per event class, read from every contracts.py source."""
    declared: dict[str, str] = {}
    for path in MODULES_DIR.glob("*/contracts.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ClassDef):
                continue
            for stmt in node.body:
                target = getattr(stmt, "target", None)
                value = getattr(stmt, "value", None)
                if isinstance(target, ast.Name) and target.id == "TOPIC":
                    assert isinstance(value, ast.Constant) and isinstance(value.value, str), (
                        f"{path}:{node.name} TOPIC must be a string literal"
                    )
                    declared[node.name] = value.value
    return declared


def test_topics_are_literal_versioned_and_unique() -> None:
    for module in ALL_MODULES:
        importlib.import_module(f"modules.{module}.contracts")
    declared = _declared_topic_literals()
    assert len(set(declared.values())) == len(declared), "a topic is declared twice"
    for topic, event_type in TOPICS.items():
        if event_type.__module__.startswith("tests"):
            continue
        assert event_type.__module__.endswith(".contracts"), f"{topic} declared outside contracts"
        assert declared.get(event_type.__name__) == topic
        module, _, rest = topic.partition(".")
        assert module in ALL_MODULES or module == "kernel"
        assert rest.rsplit(".", 1)[-1].startswith("v"), f"{topic} carries no version"


def test_every_subscription_is_to_a_declared_contract(make_settings: object) -> None:
    from app import Platform

    platform = Platform(make_settings())  # type: ignore[operator]
    subscribed = 0
    for name, module in platform.modules.items():
        for sub in module.subscriptions():
            subscribed += 1
            assert issubclass(sub.event, IntegrationEvent)
            assert TOPICS.get(sub.event.TOPIC) is sub.event, f"{name}: {sub.event} undeclared"
            assert sub.event.__module__.endswith(".contracts")
            owner = sub.event.__module__.split(".")[1]
            assert owner != name, f"{name} subscribes to its own event {sub.event.TOPIC}"
    assert subscribed > 0
