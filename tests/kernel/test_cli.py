"""The `nija` command as an operator runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
from click.testing import CliRunner

from app import cli

NIJA = str(Path(sys.executable).parent / "nija")


def _run(args: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    result = subprocess.run(
        [NIJA, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


async def test_migrate_and_create_admin(database_url: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "NIJA_DATABASE_URL": database_url,
        "NIJA_DATA_DIR": str(tmp_path),
        "NIJA_LOG_LEVEL": "WARNING",
    }
    assert "migrations applied" in _run(["migrate"], env)
    password = "an admin pass phrase 42"
    output = _run(["users", "create-admin", "--email", "Ops@Example.com"], env, stdin=password)
    assert "admin ops@example.com ready" in output.lower()
    assert password not in output
    conn = await asyncpg.connect(database_url)
    try:
        tables = await conn.fetch(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'outbox'"
        )
        assert {r["table_schema"] for r in tables} >= {
            "identity",
            "vault",
            "routing",
            "execution",
            "dashboard",
        }
        role = await conn.fetchval(
            "SELECT role FROM identity.users WHERE email = 'ops@example.com'"
        )
        assert role == "admin"
    finally:
        await conn.close()
    # Running it again promotes/keeps the same account rather than failing.
    _run(["users", "create-admin", "--email", "ops@example.com"], env, stdin=password + "\n")


def _fails(args: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    result = subprocess.run(
        [NIJA, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_create_admin_refusals_are_one_line_reasons(database_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "NIJA_DATABASE_URL": database_url, "NIJA_DATA_DIR": str(tmp_path)}
    env["NIJA_LOG_LEVEL"] = "WARNING"
    weak = _fails(["users", "create-admin", "--email", "ops@example.com"], env, stdin="short\n")
    assert "Traceback" not in weak
    assert "Error: " in weak and "weak_password" in weak
    assert "short" not in weak.replace("too short", "")
    empty = _fails(["users", "create-admin", "--email", "ops@example.com"], env, stdin="")
    assert "no password given" in empty and "Traceback" not in empty
    # A password on the command line would end up in shell history and `ps`: not an option.
    flag = _fails(["users", "create-admin", "--email", "a@b.co", "--password", "x" * 20], env)
    assert "No such option" in flag


# ---- built on Litestar's CLI ---------------------------------------------------------------


def _invoke(group: Any, args: list[str], tmp_path: Path) -> str:
    env = {"NIJA_DATA_DIR": str(tmp_path), "NIJA_LOG_LEVEL": "WARNING"}
    result = CliRunner().invoke(group, args, env=env)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_litestars_commands_sit_beside_nijas(tmp_path: Path) -> None:
    listed = _invoke(cli, ["--help"], tmp_path)
    for command in ("run", "migrate", "users", "vault", "backtest", "openapi"):
        assert re.search(rf"^\W*{command}\b", listed, re.MULTILINE), command
    for command in ("routes", "schema", "info", "version"):
        assert re.search(rf"^\W*{command}\b", listed, re.MULTILINE), command
    run_help = _invoke(cli, ["run", "--help"], tmp_path)
    assert "--host" in run_help and "--port" in run_help
    routes = _invoke(cli, ["routes"], tmp_path)
    assert "/v1/orders" in routes and "/v1/ws" in routes


def test_litestars_schema_export_is_the_apis_document(tmp_path: Path) -> None:
    exported = tmp_path / "schema.json"
    _invoke(cli, ["schema", "openapi", "--output", str(exported)], tmp_path)
    snapshot = json.loads((Path(__file__).parents[2] / "docs" / "openapi.json").read_text())
    assert set(json.loads(exported.read_text())["paths"]) == set(snapshot["paths"])


def test_the_litestar_command_offers_nijas_commands_through_the_plugin(tmp_path: Path) -> None:
    from litestar.cli.main import litestar_group

    users = _invoke(litestar_group, ["--app", "app:create_app", "users", "--help"], tmp_path)
    assert "create-admin" in users
