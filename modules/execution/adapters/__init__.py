"""Implementations of the `Venue` port (ports.py): simulated venues and real ones through ccxt."""
