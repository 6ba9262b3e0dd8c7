"""Identity's use cases: accounts, sign-in (password, second factor, device), sessions, admin."""
