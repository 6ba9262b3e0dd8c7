"""Routing tables, all in the `routing` Postgres schema."""

from __future__ import annotations

from modules.kernel.outbox import outbox_tables
from modules.kernel.tables import app_config

Outbox, Inbox = outbox_tables("routing")

APP_CONFIG = app_config("routing", [Outbox, Inbox])
