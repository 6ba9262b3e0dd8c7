"""Routing's read side: the queries behind its GET endpoints, and rows turned into schemas."""
