"""Execution's long-running loops: each venue's queue workers, and the periodic rounds (books,
health, reconciliation, the unknown-fill sweep), each failing on its own."""
