"""Kernel adapters for the pub/sub and state ports (embedded and Dapr)."""
