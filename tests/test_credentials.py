"""Where preflight finds credentials: named, never shown, and the way twine would find them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import null

from release.config import Config
from release.credentials import source
from release.targets import resolve

SECRET = "pypi-SENTINEL-never-shown"


class _Keyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return SECRET if service == "https://test.pypi.org/legacy/" else None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise NotImplementedError

    def delete_password(self, service: str, username: str) -> None:
        raise NotImplementedError


@pytest.fixture
def no_keyring() -> Iterator[None]:
    keyring.set_keyring(null.Keyring())
    yield
    keyring.set_keyring(null.Keyring())


def _target(name: str):
    return resolve(Config(project=Path(".")), repository=name, environ={})


def test_environment_pypirc_oidc_and_nothing(tmp_path: Path, no_keyring) -> None:
    home = {"HOME": str(tmp_path)}
    testpypi = _target("testpypi")
    assert source(testpypi, home) is None
    # whole descriptions: each names where the secret is, and so cannot hold it
    from_env = source(testpypi, {**home, "TWINE_PASSWORD": SECRET})
    assert from_env == "TWINE_PASSWORD from the environment (user __token__)"
    as_user = source(testpypi, {**home, "TWINE_PASSWORD": SECRET, "TWINE_USERNAME": "alice"})
    assert as_user == "TWINE_PASSWORD from the environment (user alice)"
    oidc = {"ACTIONS_ID_TOKEN_REQUEST_URL": "u", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": SECRET}
    from_oidc = source(testpypi, {**home, **oidc})
    assert from_oidc == "Trusted Publishing (GitHub Actions id-token)"
    (tmp_path / ".pypirc").write_text(f"[testpypi]\nusername = __token__\npassword = {SECRET}\n")
    found = source(testpypi, home)
    assert found == f"{tmp_path / '.pypirc'} [testpypi]"
    assert source(_target("pypi"), home) is None  # another section


def test_keyring(tmp_path: Path, no_keyring) -> None:
    (tmp_path / ".pypirc").write_text("[testpypi]\nusername = __token__\n")
    keyring.set_keyring(_Keyring())
    found = source(_target("testpypi"), {"HOME": str(tmp_path)})
    assert found == "keyring (https://test.pypi.org/legacy/)"
    assert source(_target("pypi"), {"HOME": str(tmp_path)}) is None
