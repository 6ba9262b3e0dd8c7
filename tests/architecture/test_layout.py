"""Layout by kind: every module is laid out the same way, and each kind of file keeps to its job.

A reader should find any behaviour from folder and file names alone, so these rules are checked on
the source (see docs/architecture.md, "Where code lives"):

- a module's top level holds only the known kinds; a kind that grows is a package of the same name;
- a module's packages are namespaces only: their `__init__.py` re-exports nothing;
- imports inside a module point one way (domain <- repository/views/adapters <- service <- api,
  handlers, workers <- the plugin), so there is no cycle;
- `domain/` is pure: no I/O library, no kernel I/O, no clock, no `async def`;
- `adapters/` holds only implementations of a port of the module or of the kernel;
- only the HTTP layer (`api`, the kernel) speaks in `ProblemError`s; rules raise `Refused`;
- files stay readable (a file that grows past the limit becomes a package).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from modules.kernel.settings import ALL_MODULES

ROOT = Path(__file__).resolve().parents[2]
MODULES_DIR = ROOT / "modules"
MAX_LINES = 500

# Rank of each kind: a file may import its own module's files of a lower rank or of its own kind.
RANK = {
    "domain": 0,
    "contracts": 0,
    "config": 0,
    "ports": 1,
    "tables": 1,
    "schemas": 1,
    "repository": 2,
    "views": 2,
    "adapters": 2,
    "service": 3,
    "workers": 4,
    "handlers": 4,
    "api": 4,
    "__init__": 5,
}
REQUIRED = {
    "__init__",
    "contracts",
    "api",
    "schemas",
    "tables",
    "config",
    "handlers",
    "service",
    "views",
    "repository",
    "domain",
}
ONLY_PACKAGES = {"domain", "workers", "adapters"}
# What a pure rule may not import: drivers, frameworks, clients, and anything that does I/O.
IMPURE_IMPORTS = {
    "litestar",
    "asyncpg",
    "piccolo",
    "httpx",
    "aiohttp",
    "redis",
    "ccxt",
    "hvac",
    "dapr",
    "grpc",
    "uvicorn",
    "asyncio",
    "socket",
    "subprocess",
    "os",
    "pathlib",
    "logging",
    "time",
    "random",
    "secrets",
    "prometheus_client",
}
PURE_KERNEL = {"modules.kernel.refusal"}
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter", "time_ns"}


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _kind(module: str, path: Path) -> str:
    rel = path.relative_to(MODULES_DIR / module)
    return rel.parts[0].removesuffix(".py")


def _files(module: str) -> Iterator[Path]:
    yield from sorted((MODULES_DIR / module).rglob("*.py"))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _own_imports(module: str, path: Path) -> Iterator[tuple[int, str]]:
    """Dotted names of the module's own files that `path` imports, outside TYPE_CHECKING."""
    prefix = f"modules.{module}."
    type_only: set[int] = set()
    tree = _tree(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_only.update(id(n) for n in ast.walk(node))
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            if name.startswith(prefix) and _resolve(name) is not None:
                yield node.lineno, name


def _resolve(dotted: str) -> Path | None:
    base = ROOT.joinpath(*dotted.split("."))
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    return None


def _layout_problems(folder: Path) -> list[str]:
    entries = {
        p.name: p
        for p in folder.iterdir()
        if p.name != "__pycache__" and not p.name.startswith(".")
    }
    kinds = {name.removesuffix(".py") for name in entries}
    problems = [f"{folder.name}/{k} is not a kind of the layout" for k in sorted(kinds - set(RANK))]
    problems += [f"{folder.name} lacks {k}" for k in sorted(REQUIRED - kinds)]
    for name, path in entries.items():
        kind = name.removesuffix(".py")
        if path.is_dir() and not (path / "__init__.py").is_file():
            problems.append(f"{folder.name}/{name} is not a package")
        if path.is_file() and kind in ONLY_PACKAGES:
            problems.append(f"{folder.name}/{name} must be a package")
        if path.is_dir() and f"{kind}.py" in entries:
            problems.append(f"{folder.name}: {kind} is both a file and a package")
    return problems


@pytest.mark.parametrize("module", ALL_MODULES)
def test_top_level_holds_only_the_known_kinds(module: str) -> None:
    assert _layout_problems(MODULES_DIR / module) == []


def test_layout_checker_rejects_an_unknown_kind(tmp_path: Path) -> None:
    """Guard the guard: a stray `helpers.py` and a file-shaped domain are reported."""
    for kind in REQUIRED:
        (tmp_path / f"{kind}.py").write_text("")
    (tmp_path / "helpers.py").write_text("")
    problems = _layout_problems(tmp_path)
    assert any("helpers" in p for p in problems)
    assert any("domain.py must be a package" in p for p in problems)


@pytest.mark.parametrize("module", ALL_MODULES)
def test_packages_inside_a_module_reexport_nothing(module: str) -> None:
    for path in (MODULES_DIR / module).rglob("__init__.py"):
        if path.parent == MODULES_DIR / module:
            continue
        body = [n for n in _tree(path).body if not _is_docstring(n)]
        assert not body, f"{_rel(path)}: a package __init__ holds only a docstring"


def _is_docstring(node: ast.stmt) -> bool:
    if isinstance(node, ast.ImportFrom) and node.module == "__future__":
        return True
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


@pytest.mark.parametrize("module", ALL_MODULES)
def test_imports_inside_a_module_point_one_way(module: str) -> None:
    bad: list[str] = []
    for path in _files(module):
        kind = _kind(module, path)
        for line, name in _own_imports(module, path):
            target = _resolve(name)
            assert target is not None
            target_kind = _kind(module, target)
            where = f"{_rel(path)}:{line} ({kind}) imports {name} ({target_kind})"
            if target == MODULES_DIR / module / "__init__.py":
                bad.append(where + ": nothing imports the plugin")
            elif kind == "contracts":
                bad.append(where + ": contracts import nothing of their module")
            elif target_kind != kind and RANK[target_kind] >= RANK[kind]:
                bad.append(where + ": against the direction")
    assert bad == []


@pytest.mark.parametrize("module", ALL_MODULES)
def test_no_import_cycle_inside_a_module(module: str) -> None:
    graph: dict[Path, set[Path]] = {}
    for path in _files(module):
        targets = {_resolve(name) for _, name in _own_imports(module, path)}
        graph[path] = {t for t in targets if t is not None and t != path}
    state: dict[Path, int] = {}

    def visit(node: Path, trail: list[Path]) -> None:
        state[node] = 1
        for nxt in graph.get(node, set()):
            if state.get(nxt) == 1:
                cycle = [*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt]
                pytest.fail("cycle: " + " -> ".join(str(_rel(p)) for p in cycle))
            if nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for start in graph:
        if start not in state:
            visit(start, [start])


def _domain_violations(path: Path) -> Iterator[str]:
    for node in ast.walk(_tree(path)):
        where = f"{_rel(path)}:{getattr(node, 'lineno', 0)}"
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            if name.split(".")[0] in IMPURE_IMPORTS:
                yield f"{where} imports {name}"
            if name.startswith("modules.kernel") and name not in PURE_KERNEL:
                yield f"{where} imports kernel I/O {name}"
            parts = name.split(".")
            if parts[0] == "modules" and len(parts) > 2 and parts[2] not in {"domain", "contracts"}:
                if parts[1] != "kernel":
                    yield f"{where} imports {name}, outside the domain"
        if isinstance(node, ast.AsyncFunctionDef):
            yield f"{where} defines async {node.name}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in CLOCK_CALLS and ast.unparse(node.func.value) in {
                "datetime",
                "date",
                "time",
                "datetime.datetime",
                "datetime.date",
            }:
                yield f"{where} reads the clock ({ast.unparse(node.func)})"


@pytest.mark.parametrize("module", ALL_MODULES)
def test_domain_is_pure(module: str) -> None:
    domain = MODULES_DIR / module / "domain"
    bad = [v for path in sorted(domain.rglob("*.py")) for v in _domain_violations(path)]
    assert bad == []


def test_purity_checker_catches_io_and_the_clock(tmp_path: Path) -> None:
    """Guard the guard."""
    sample = tmp_path / "rule.py"
    sample.write_text(
        "import asyncpg\nfrom datetime import datetime\nfrom modules.kernel.db import Database\n"
        "from modules.routing.repository import x\n"
        "async def f():\n    return datetime.now()\n"
    )
    found = list(_domain_violations(sample))
    assert len(found) == 5, found


def _protocols(path: Path) -> dict[str, set[str]]:
    """Public members of each Protocol class a ports file declares."""
    found: dict[str, set[str]] = {}
    if not path.exists():
        return found
    for node in _tree(path).body:
        if isinstance(node, ast.ClassDef) and any("Protocol" in ast.unparse(b) for b in node.bases):
            found[node.name] = _public_members(node)
    return found


def _public_members(cls: ast.ClassDef) -> set[str]:
    members: set[str] = set()
    for stmt in cls.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            members.add(stmt.name)
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            members.add(stmt.target.id)
    return {m for m in members if not m.startswith("_")}


def _class_members(cls: ast.ClassDef) -> set[str]:
    """What instances of an adapter class offer: methods, class fields and `self.x` fields."""
    members = _public_members(cls)
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign):
            members.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
    for node in ast.walk(cls):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "self" and isinstance(node.ctx, ast.Store):
                members.add(node.attr)
    return members


@pytest.mark.parametrize("module", ("kernel", *ALL_MODULES))
def test_adapters_only_implement_ports(module: str) -> None:
    ports = {**_protocols(MODULES_DIR / "kernel" / "ports.py")}
    ports.update(_protocols(MODULES_DIR / module / "ports.py"))
    bad: list[str] = []
    for path in sorted((MODULES_DIR / module / "adapters").rglob("*.py")):
        for node in _tree(path).body:
            where = f"{_rel(path)}:{node.lineno}"
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                if any(ast.unparse(b).endswith(("Error", "Exception")) for b in node.bases):
                    continue  # what an adapter raises is part of the port it implements
                members = _class_members(node)
                if not any(need and need <= members for need in ports.values()):
                    bad.append(f"{where} class {node.name} implements no port")
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if not node.name.startswith("_"):
                    bad.append(f"{where} public function {node.name}: adapters hold port classes")
    assert bad == []


@pytest.mark.parametrize("module", ALL_MODULES)
def test_only_the_http_layer_speaks_in_problem_errors(module: str) -> None:
    bad: list[str] = []
    for path in _files(module):
        if _kind(module, path) in {"api", "__init__"}:
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Name) and node.id == "ProblemError":
                bad.append(f"{_rel(path)}:{node.lineno}")
    assert bad == [], "raise modules.kernel.refusal.Refused outside api.py"


@pytest.mark.parametrize("module", ("kernel", *ALL_MODULES))
def test_files_stay_readable(module: str) -> None:
    long = {
        str(_rel(p)): n
        for p in _files(module)
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these into packages of the same name: {long}"
