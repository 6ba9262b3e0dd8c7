"""The `nija` command as an operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import asyncpg

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
