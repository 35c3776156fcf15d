"""The session layer: the one place a prompt becomes answers (decide, run, lock, report)."""
