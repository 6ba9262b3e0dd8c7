"""The deployment files as data: the Nomad jobs (read with python-hcl2, as the Nomad CLI would
read them before submitting), their groups, tasks, settings and secrets, and the tools the ops
tests run (`tool` fails instead of skipping when NIJA_REQUIRE_TOOLS=1, as `make test` sets)."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
NOMAD = ROOT / "nomad"
JOB_FILES = sorted(NOMAD.glob("*.nomad.hcl"))
_OPTIONS = hcl2.SerializationOptions(
    strip_string_quotes=True, explicit_blocks=False, preserve_heredocs=False
)
_VAR = re.compile(r"^\$\{var\.([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_]*)*)\}$")
_SECRET = re.compile(r'secret\s+"([^"]+)"')
_TEMPLATE_VAR = re.compile(r"(?:^|\}\})\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def tool(name: str) -> str:
    """The path of a command-line tool the test needs (the venv's first, then PATH)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed (make ci-tools installs the ops tests' tools)"
    if os.environ.get("NIJA_REQUIRE_TOOLS") == "1":
        pytest.fail(message)
    pytest.skip(message)


def load_hcl(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        loaded: dict[str, Any] = hcl2.load(handle, serialization_options=_OPTIONS)
    return loaded


def blocks(body: dict[str, Any], kind: str) -> list[tuple[str, dict[str, Any]]]:
    """The labelled blocks of one kind (`group "x" {}` -> ("x", {...})), in file order."""
    found = []
    for entry in body.get(kind, []):
        for label, inner in entry.items():
            found.append((label, inner))
    return found


def block(body: dict[str, Any], kind: str) -> dict[str, Any]:
    """The one unlabelled block of a kind (`config {}`); {} when absent."""
    entries = body.get(kind) or [{}]
    assert len(entries) == 1, f"more than one {kind} block"
    return dict(entries[0])


@dataclass(frozen=True)
class Task:
    job: str
    group: str
    name: str
    body: dict[str, Any]

    @property
    def config(self) -> dict[str, Any]:
        return block(self.body, "config")

    @property
    def is_daprd(self) -> bool:
        return "daprd" in str(self.config.get("image", "")) or self.name == "daprd"

    def templates(self) -> list[dict[str, Any]]:
        return list(self.body.get("template", []))

    def template_text(self) -> str:
        return "\n".join(str(t.get("data", "")) for t in self.templates()).replace('\\"', '"')

    def secrets_read(self) -> set[str]:
        """Every Vault path the task's templates read (`{{ with secret "..." }}`)."""
        return set(_SECRET.findall(self.template_text()))

    def template_env(self) -> set[str]:
        """Variables the templates with `env = true` put in the task's environment."""
        names: set[str] = set()
        for template in self.templates():
            if template.get("env") is True:
                data = str(template.get("data", "")).replace('\\"', '"')
                names.update(_TEMPLATE_VAR.findall(data))
        return names

    def arg(self, flag: str) -> str:
        args = [str(a) for a in self.config.get("args", [])]
        assert flag in args, f"{self.job}/{self.group}/{self.name}: no {flag}"
        return args[args.index(flag) + 1]


@dataclass(frozen=True)
class Group:
    job: str
    name: str
    body: dict[str, Any]

    @property
    def tasks(self) -> list[Task]:
        return [Task(self.job, self.name, n, b) for n, b in blocks(self.body, "task")]

    @property
    def daprd(self) -> Task:
        [daprd] = [t for t in self.tasks if t.is_daprd]
        return daprd

    @property
    def app(self) -> Task:
        [app] = [t for t in self.tasks if not t.is_daprd]
        return app

    def port_to(self, label: str) -> int:
        network = block(self.body, "network")
        for name, port in blocks(network, "port"):
            if name == label:
                return int(port["to"])
        raise AssertionError(f"{self.job}/{self.name}: no port {label!r}")

    @property
    def services(self) -> list[dict[str, Any]]:
        return list(self.body.get("service", []))


@dataclass(frozen=True)
class Job:
    path: Path
    name: str
    doc: dict[str, Any]
    body: dict[str, Any]

    @property
    def groups(self) -> list[Group]:
        return [Group(self.name, n, b) for n, b in blocks(self.body, "group")]

    @property
    def variables(self) -> dict[str, dict[str, Any]]:
        return dict(blocks(self.doc, "variable"))

    def resolve(self, value: Any) -> Any:
        """A literal as it is, `${var.x}` (or `${var.x.key}`) as the variable's default."""
        if not isinstance(value, str):
            return value
        match = _VAR.match(value)
        if match is None:
            assert "${" not in value, f"{self.path.name}: cannot resolve {value!r}"
            return value
        resolved: Any = self.variables[match.group(1)]["default"]
        for key in filter(None, match.group(2).split(".")):
            resolved = resolved[key]
        return resolved

    def env(self, task: Task) -> dict[str, str]:
        """The task's `env` block, variables resolved to their defaults."""
        values = block(task.body, "env")
        values.pop("__comments__", None)
        return {k: str(self.resolve(v)) for k, v in values.items()}


@functools.cache
def jobs() -> tuple[Job, ...]:
    loaded = []
    for path in JOB_FILES:
        doc = load_hcl(path)
        [(name, body)] = blocks(doc, "job")
        loaded.append(Job(path, name, doc, body))
    return tuple(loaded)


def job(name: str) -> Job:
    [found] = [j for j in jobs() if j.name == name]
    return found


def app_tasks() -> list[tuple[Job, Group, Task]]:
    return [(j, g, g.app) for j in jobs() for g in j.groups]


# ---- observability ----------------------------------------------------------------------------

DASHBOARD = NOMAD / "grafana" / "nija.json"
ALERTS = NOMAD / "prometheus" / "alerts.yml"
_METRIC = re.compile(r"\bnija_[a-z0-9_]+\b")


def dashboard_exprs() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [t["expr"] for p in panels for t in p.get("targets", [])]


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def referenced_metrics() -> set[str]:
    """Every series name the dashboard or the alerting rules query."""
    exprs = dashboard_exprs() + [str(rule["expr"]) for rule in alert_rules()]
    return {name for expr in exprs for name in _METRIC.findall(expr)}
