"""Vault's use cases: credentials, transit key rotation, and the audit trail."""
