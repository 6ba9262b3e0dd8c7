"""Dashboard read side: queries behind the screens."""
