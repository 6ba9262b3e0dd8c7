"""Dashboard persistence of the read models."""
