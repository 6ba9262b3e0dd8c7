"""Vault tables, all in the `vault` Postgres schema."""

from __future__ import annotations

from modules.kernel.outbox import outbox_tables
from modules.kernel.tables import app_config

Outbox, Inbox = outbox_tables("vault")

APP_CONFIG = app_config("vault", [Outbox, Inbox])
