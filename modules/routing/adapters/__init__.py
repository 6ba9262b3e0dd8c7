"""Module-private adapters."""
