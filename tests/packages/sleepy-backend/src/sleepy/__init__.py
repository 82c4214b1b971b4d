"""The sleepy fixture."""
