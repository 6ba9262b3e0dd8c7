"""Vault's writes, and the reads its use cases need: one file per aggregate.

Called inside a unit of work, Piccolo joins its transaction automatically. Nothing here that
feeds a response selects sealed material: it leaves the module only in `CredentialStored`.
"""
