"""PEP 440 bump rules: pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from packaging.version import InvalidVersion, Version

from .errors import VersionError

PARTS = ("major", "minor", "patch", "alpha", "beta", "rc", "pre", "dev", "post", "release")

_PHASES = ("a", "b", "rc")
_PHASE_OF_PART = {"alpha": "a", "beta": "b", "rc": "rc"}
_PHASE_NAMES = {"a": "alpha", "b": "beta", "rc": "rc"}


def parse(text: str) -> Version:
    """Parse a PEP 440 version, raising VersionError with a hint when it is not one."""
    try:
        return Version(text)
    except InvalidVersion:
        raise VersionError(
            f"{text!r} is not a valid PEP 440 version",
            hint="use a version such as 1.2.3, 1.3.0a1, 1.2.3.post1 or 2.0.0.dev1",
        ) from None


def _make(
    epoch: int,
    release: tuple[int, ...],
    pre: tuple[str, int] | None = None,
    post: int | None = None,
    dev: int | None = None,
) -> Version:
    text = f"{epoch}!" if epoch else ""
    text += ".".join(str(n) for n in release)
    if pre is not None:
        text += f"{pre[0]}{pre[1]}"
    if post is not None:
        text += f".post{post}"
    if dev is not None:
        text += f".dev{dev}"
    return Version(text)


def _release3(v: Version) -> tuple[int, int, int]:
    parts = (*v.release, 0, 0)
    return parts[0], parts[1], parts[2]


def bump(current: Version, part: str) -> Version:
    """Return the version after bumping ``part`` of ``current``.

    ============  =========  =========  ==========  ==========
    part          1.2.3      1.3.0a2    0.1.0a8     1.2.3.dev4
    ============  =========  =========  ==========  ==========
    major         2.0.0      2.0.0      1.0.0       2.0.0
    minor         1.3.0      1.3.0      0.1.0       1.3.0
    patch         1.2.4      1.3.0      0.1.0       1.2.3
    alpha         1.2.4a1    1.3.0a3    0.1.0a9     1.2.3a1
    beta          1.2.4b1    1.3.0b1    0.1.0b1     1.2.3b1
    rc            1.2.4rc1   1.3.0rc1   0.1.0rc1    1.2.3rc1
    pre           error      1.3.0a3    0.1.0a9     error
    dev           1.2.4.dev1 1.3.0a3.dev1 0.1.0a9.dev1 1.2.3.dev5
    post          1.2.3.post1 error     error       error
    release       error      1.3.0      0.1.0       1.2.3
    ============  =========  =========  ==========  ==========

    major/minor/patch on a pre- or dev-release whose lower parts are already zero
    finalise it; a pre-release phase never goes backwards. The epoch is kept and a
    local label is dropped.
    """
    if part not in PARTS:
        raise VersionError(
            f"unknown part {part!r}",
            hint=f"use one of {', '.join(PARTS)}, or an explicit version such as 2.0.0",
        )
    return _RULES[part](current, part)


def _same(v: Version) -> tuple[int, ...]:
    """The release segment, kept: at least three numbers."""
    return (*v.release, 0, 0)[: max(3, len(v.release))]


def _numbered(current: Version, part: str) -> Version:
    """major, minor, patch: finalise an unfinished release whose lower parts are zero."""
    major, minor, micro = _release3(current)
    index = ("major", "minor", "patch").index(part)
    lower_zero = all(n == 0 for n in current.release[index + 1 :])
    if current.is_prerelease and current.post is None and lower_zero:
        return _make(current.epoch, (major, minor, micro))
    bumped = ((major + 1, 0, 0), (major, minor + 1, 0), (major, minor, micro + 1))[index]
    return _make(current.epoch, bumped)


def _phase(current: Version, part: str) -> Version:
    """alpha, beta, rc: start or advance a pre-release phase, never going back."""
    phase, pre = _PHASE_OF_PART[part], current.pre
    epoch, same = current.epoch, _same(current)
    if pre is None:
        if current.post is not None or current.dev is None:
            # a final (or post) release: the pre-release of the next patch
            major, minor, micro = _release3(current)
            return _make(epoch, (major, minor, micro + 1), (phase, 1))
        # X.Y.Z.devN precedes X.Y.Z's pre-releases
        return _make(epoch, same, (phase, 1))
    if _PHASES.index(phase) < _PHASES.index(pre[0]):
        raise VersionError(
            f"cannot go from {current} ({_PHASE_NAMES[pre[0]]}) back to {part}",
            hint=f"bump {_PHASE_NAMES[pre[0]]} or a later phase",
        )
    if phase != pre[0]:
        return _make(epoch, same, (phase, 1))
    if current.dev is not None and current.post is None:
        # aNdevM precedes aN: finishing the dev-release gives aN
        return _make(epoch, same, pre)
    return _make(epoch, same, (phase, pre[1] + 1))


def _pre(current: Version, part: str) -> Version:
    """pre: the next pre-release of the current phase."""
    pre = current.pre
    if pre is None:
        raise VersionError(
            f"{current} is not a pre-release", hint="use alpha, beta or rc to start one"
        )
    if current.dev is not None and current.post is None:
        return _make(current.epoch, _same(current), pre)
    return _make(current.epoch, _same(current), (pre[0], pre[1] + 1))


def _dev(current: Version, part: str) -> Version:
    """dev: the next development release."""
    epoch, pre, dev = current.epoch, current.pre, current.dev
    if dev is not None:
        return _make(epoch, _same(current), pre, current.post, dev + 1)
    if pre is not None:
        return _make(epoch, _same(current), (pre[0], pre[1] + 1), dev=1)
    major, minor, micro = _release3(current)
    return _make(epoch, (major, minor, micro + 1), dev=1)


def _post(current: Version, part: str) -> Version:
    """post: the next post-release of a final release."""
    post = current.post
    if post is not None and current.dev is not None:
        return _make(current.epoch, _same(current), current.pre, post)
    if current.is_prerelease:
        raise VersionError(
            f"{current} is not a final release; a post-release follows a final one",
            hint="use release to finalise it first",
        )
    return _make(current.epoch, _same(current), post=(post or 0) + 1)


def _final(current: Version, part: str) -> Version:
    """release: finish a pre- or dev-release."""
    if not current.is_prerelease:
        raise VersionError(f"{current} is already final", hint="use major, minor or patch")
    if current.post is not None and current.dev is not None:
        # X.postN.devM -> X.postN
        return _make(current.epoch, _same(current), current.pre, current.post)
    return _make(current.epoch, _same(current))


_RULES: dict[str, Callable[[Version, str], Version]] = {
    "major": _numbered,
    "minor": _numbered,
    "patch": _numbered,
    "alpha": _phase,
    "beta": _phase,
    "rc": _phase,
    "pre": _pre,
    "dev": _dev,
    "post": _post,
    "release": _final,
}
"""The rule of each part of PARTS."""


def next_version(current: Version, spec: str) -> Version:
    """Resolve ``spec`` (a part name or an explicit version) against ``current``."""
    if spec in PARTS:
        return bump(current, spec)
    if spec == "auto":  # resolved by the front doors (unreleased.resolve), never a bump rule
        raise VersionError(
            "the part auto must be decided before the bump",
            hint="use release bump auto, release ship --part auto or release status --part auto",
        )
    try:
        target = Version(spec)
    except InvalidVersion:
        raise VersionError(
            f"unknown part or invalid version {spec!r}",
            hint=f"use one of {', '.join(PARTS)}, or an explicit version such as 2.0.0",
        ) from None
    if target.local is not None:
        raise VersionError(
            f"{target} has a local label (+{target.local}); local versions cannot be published",
            hint=f"use {target.public}",
        )
    if target <= current:
        raise VersionError(
            f"{target} is not greater than the current version {current}",
            hint="an explicit version must be greater than the current one",
        )
    return target


def check_publishable(version: Version) -> None:
    """Refuse a version that no index accepts (a local version label)."""
    if version.local is not None:
        raise VersionError(
            f"{version} has a local label; local versions cannot be published",
            hint=f"set the version to {version.public}",
        )


def greatest_tag(
    tags: Iterable[str], tag_format: str, *, name: str = ""
) -> tuple[str, Version] | None:
    """The release tag with the greatest version among ``tags`` matching ``tag_format``.

    ``{name}`` in the format stands for ``name`` (``Config.tag_format`` has it filled in).
    """
    prefix, _, suffix = tag_format.replace("{name}", name).partition("{version}")
    best: tuple[str, Version] | None = None
    for tag in tags:
        if not (tag.startswith(prefix) and tag.endswith(suffix)):
            continue
        try:
            version = Version(tag[len(prefix) : len(tag) - len(suffix) if suffix else None])
        except InvalidVersion:
            continue
        if best is None or version > best[1]:
            best = (tag, version)
    return best
