"""Piccolo configuration: the kernel's engine and one Piccolo app per module.

Used by `nija migrate`, by start-up migrations and by
`PICCOLO_CONF=migrations.piccolo_conf NIJA_DATABASE_URL=... piccolo migrations new <module> --auto`.
"""

import os

from piccolo.conf.apps import AppRegistry

from modules.kernel.db import ENGINE as DB
from modules.kernel.tables import tables_app

APPS = ("kernel", "identity", "vault", "routing", "execution", "dashboard", "strategy")

APP_REGISTRY = AppRegistry(apps=[tables_app(name) for name in APPS])

if not DB.config and os.environ.get("NIJA_DATABASE_URL"):
    DB.config = {"dsn": os.environ["NIJA_DATABASE_URL"]}
