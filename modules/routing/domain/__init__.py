"""Routing's pure rules: risk limits, venue scoring, split and TWAP plans, idempotency and attempt
ids, and the in-memory books and venue measures. No I/O and no clock: callers pass the time in."""
