"""Kernel tables, in the `kernel` schema: the Postgres-backed state store."""

from __future__ import annotations

import os
from pathlib import Path

from piccolo.columns import BigInt, Bytea, Text
from piccolo.conf.apps import AppConfig
from piccolo.table import Table

from modules.kernel.db import ENGINE

MIGRATIONS = os.path.join(os.path.dirname(__file__), "..", "..", "migrations")


class State(Table, tablename="state", schema="kernel", db=ENGINE):
    key = Text(primary_key=True)
    value = Bytea()
    etag = BigInt(default=1)


def app_config(name: str, tables: list[type[Table]]) -> AppConfig:
    """The Piccolo app of one module: its tables and `migrations/<name>/`."""
    return AppConfig(
        app_name=name,
        migrations_folder_path=os.path.abspath(os.path.join(MIGRATIONS, name)),
        table_classes=tables,
    )


APP_CONFIG = app_config("kernel", [State])


def tables_app(module: str) -> str:
    """The import path of a module's Piccolo app (its `APP_CONFIG`): `tables.py`, or `tables/app.py`
    once its tables grew into a package."""
    root = Path(__file__).resolve().parents[1] / module
    return (
        f"modules.{module}.tables.app" if (root / "tables").is_dir() else f"modules.{module}.tables"
    )
