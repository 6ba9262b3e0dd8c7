"""Vault's background loops."""
