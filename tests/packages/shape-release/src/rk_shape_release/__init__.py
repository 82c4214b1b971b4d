"""Shape fixture: release."""
