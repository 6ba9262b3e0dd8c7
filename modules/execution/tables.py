"""Execution tables, all in the `execution` Postgres schema."""

from __future__ import annotations

from modules.kernel.outbox import outbox_tables
from modules.kernel.tables import app_config

Outbox, Inbox = outbox_tables("execution")

APP_CONFIG = app_config("execution", [Outbox, Inbox])
