"""Dashboard tables, all in the `dashboard` Postgres schema (the Piccolo app: `tables/app.py`).

These are read models rebuilt from other modules' events, so columns that only some events carry
are nullable: a row may be created by whichever of its events arrives first.
"""
