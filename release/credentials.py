"""Where upload credentials would come from, named but never shown."""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from pathlib import Path

from .targets import Target


def _pypirc(environ: Mapping[str, str]) -> Path:
    return Path(os.path.expanduser(str(Path(environ.get("HOME", "~"), ".pypirc"))))


def _keyring(url: str, username: str | None) -> bool:
    """Whether keyring holds a password for ``url`` (as twine would ask it)."""
    try:
        import keyring
    except ImportError:  # pragma: no cover - twine depends on keyring
        return False
    try:
        if username:
            return bool(keyring.get_password(url, username))
        credential = keyring.get_credential(url, None)
        return credential is not None and bool(credential.password)
    except Exception:  # a broken or locked keyring backend is "no credentials", not a crash
        return False


def source(target: Target, environ: Mapping[str, str]) -> str | None:
    """A description of the credentials twine would use for ``target``, or None.

    ======================================  ==========================================
    found                                   used for
    ======================================  ==========================================
    ``TWINE_PASSWORD``                      any target
    ``.pypirc`` section with a password     ``pypi``/``testpypi`` (section of that name)
    a keyring password for the upload URL   any target (user from the environment/.pypirc)
    GitHub Actions OIDC variables           ``pypi``/``testpypi`` (Trusted Publishing)
    ======================================  ==========================================
    """
    if environ.get("TWINE_PASSWORD"):
        user = environ.get("TWINE_USERNAME") or "__token__"
        return f"TWINE_PASSWORD from the environment (user {user})"
    username = environ.get("TWINE_USERNAME")
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
        if parser.has_option(section, "username"):
            username = username or parser.get(section, "username").strip()
        if environ.get("ACTIONS_ID_TOKEN_REQUEST_URL") and environ.get(
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
        ):
            return "Trusted Publishing (GitHub Actions id-token)"
    if required(target) and _keyring(target.upload_url, username):
        return f"keyring ({target.upload_url})"
    return None


def required(target: Target) -> bool:
    """Whether uploading to ``target`` needs credentials we can check for beforehand."""
    return target.is_pypi
