"""Piccolo migrations, one folder per module (`migrations/<module>/`)."""
