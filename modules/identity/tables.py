"""Identity tables, all in the `identity` Postgres schema."""

from __future__ import annotations

from modules.kernel.outbox import outbox_tables
from modules.kernel.tables import app_config

Outbox, Inbox = outbox_tables("identity")

APP_CONFIG = app_config("identity", [Outbox, Inbox])
