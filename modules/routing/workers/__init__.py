"""Routing's long-running loops."""
