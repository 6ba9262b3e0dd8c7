"""Dashboard tables, all in the `dashboard` Postgres schema."""

from __future__ import annotations

from modules.kernel.outbox import outbox_tables
from modules.kernel.tables import app_config

Outbox, Inbox = outbox_tables("dashboard")

APP_CONFIG = app_config("dashboard", [Outbox, Inbox])
