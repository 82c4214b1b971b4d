"""Where upload credentials would come from, named but never shown."""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from pathlib import Path

from .targets import Target


def _pypirc(environ: Mapping[str, str]) -> Path:
    base = environ.get("TWINE_CONFIG_FILE") or str(Path(environ.get("HOME", "~"), ".pypirc"))
    return Path(os.path.expanduser(base))


def source(target: Target, environ: Mapping[str, str]) -> str | None:
    """A description of the credentials twine would use for ``target``, or None.

    ======================================  ==========================================
    found                                   used for
    ======================================  ==========================================
    ``TWINE_PASSWORD``                      any target
    ``.pypirc`` section with a password     ``pypi``/``testpypi`` (section of that name)
    GitHub Actions OIDC variables           ``pypi``/``testpypi`` (Trusted Publishing)
    ======================================  ==========================================
    """
    if environ.get("TWINE_PASSWORD"):
        user = environ.get("TWINE_USERNAME") or "__token__"
        return f"TWINE_PASSWORD from the environment (user {user})"
    if target.twine_repository:
        path = _pypirc(environ)
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, OSError):
            parser = configparser.RawConfigParser()
        section = target.twine_repository
        if parser.has_option(section, "password") and parser.get(section, "password").strip():
            return f"{path} [{section}]"
        if environ.get("ACTIONS_ID_TOKEN_REQUEST_URL") and environ.get(
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
        ):
            return "Trusted Publishing (GitHub Actions id-token)"
    return None


def required(target: Target) -> bool:
    """Whether uploading to ``target`` needs credentials we can check for beforehand."""
    return target.is_pypi
