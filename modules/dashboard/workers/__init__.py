"""The dashboard's long-running loops."""
