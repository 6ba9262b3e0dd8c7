"""Vault's pure rules: what a credential may hold, its verification, the audit hash chain."""
