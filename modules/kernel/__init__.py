"""Shared runtime for every NIJA module: settings, ports, adapters, db, auth, outbox/inbox.

The kernel imports no module. Modules import the kernel and each other's `contracts` only.
"""
