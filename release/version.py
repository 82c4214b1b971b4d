"""PEP 440 bump rules: pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Iterable

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
    epoch = current.epoch
    major, minor, micro = _release3(current)
    unfinished = current.is_prerelease  # a pre-release or a dev-release (of any kind)
    pre = current.pre
    dev = current.dev
    post = current.post
    same = (*current.release, 0, 0)[: max(3, len(current.release))]  # the release segment, kept

    if part in ("major", "minor", "patch"):
        index = ("major", "minor", "patch").index(part)
        lower_zero = all(n == 0 for n in current.release[index + 1 :])
        if unfinished and post is None and lower_zero:
            return _make(epoch, (major, minor, micro))
        if part == "major":
            return _make(epoch, (major + 1, 0, 0))
        if part == "minor":
            return _make(epoch, (major, minor + 1, 0))
        return _make(epoch, (major, minor, micro + 1))

    if part in _PHASE_OF_PART:
        phase = _PHASE_OF_PART[part]
        if pre is None:
            if post is not None or dev is None:
                # a final (or post) release: the pre-release of the next patch
                return _make(epoch, (major, minor, micro + 1), (phase, 1))
            # X.Y.Z.devN precedes X.Y.Z's pre-releases
            return _make(epoch, same, (phase, 1))
        if _PHASES.index(phase) < _PHASES.index(pre[0]):
            raise VersionError(
                f"cannot go from {current} ({_PHASE_NAMES[pre[0]]}) back to {part}",
                hint=f"bump {_PHASE_NAMES[pre[0]]} or a later phase",
            )
        if phase == pre[0]:
            if dev is not None and post is None:
                # aNdevM precedes aN: finishing the dev-release gives aN
                return _make(epoch, same, pre)
            return _make(epoch, same, (phase, pre[1] + 1))
        return _make(epoch, same, (phase, 1))

    if part == "pre":
        if pre is None:
            raise VersionError(
                f"{current} is not a pre-release", hint="use alpha, beta or rc to start one"
            )
        if dev is not None and post is None:
            return _make(epoch, same, pre)
        return _make(epoch, same, (pre[0], pre[1] + 1))

    if part == "dev":
        if dev is not None:
            return _make(epoch, same, pre, post, dev + 1)
        if pre is not None:
            return _make(epoch, same, (pre[0], pre[1] + 1), dev=1)
        return _make(epoch, (major, minor, micro + 1), dev=1)

    if part == "post":
        if post is not None and dev is not None:
            return _make(epoch, same, pre, post)
        if unfinished:
            raise VersionError(
                f"{current} is not a final release; a post-release follows a final one",
                hint="use release to finalise it first",
            )
        return _make(epoch, same, post=(post or 0) + 1)

    # part == "release"
    if not unfinished:
        raise VersionError(f"{current} is already final", hint="use major, minor or patch")
    if post is not None and dev is not None:
        return _make(epoch, same, pre, post)  # X.postN.devM -> X.postN
    return _make(epoch, same)


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
