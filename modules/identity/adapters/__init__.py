"""Implementations of identity's ports (ports.py): argon2id hashing, the bundled password list."""
