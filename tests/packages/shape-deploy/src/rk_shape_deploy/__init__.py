"""Shape fixture: deploy."""

VERSION_NAME = "deploy"
