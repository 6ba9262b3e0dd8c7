"""Strategy's long-running loops."""
