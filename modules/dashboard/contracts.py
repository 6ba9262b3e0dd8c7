"""Dashboard's published language. It publishes no events yet: it only reads others' events."""

from __future__ import annotations
