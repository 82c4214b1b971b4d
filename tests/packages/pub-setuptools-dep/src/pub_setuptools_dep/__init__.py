"""Imports its dependency, so an install without it fails to import."""

from pub_hatch_cli import greeting

MESSAGE = greeting().replace("pub-hatch-cli", "pub-setuptools-dep")
