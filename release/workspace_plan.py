"""What a workspace release would do: pure decisions, table-tested without git or an index.

``decide`` takes the packages as read (``workspace.read``), what the user chose and the parts,
and gives the releases in dependency order, the sibling pins to rewrite, or every refusal at
once (an unknown package, a cycle, tag formats that collide, a pin that excludes a new
version, a sibling version that no index has).
"""

from __future__ import annotations

from collections.abc import Mapping

from packaging.version import Version

from . import workspace_pins as pins
from .dists import normalize
from .errors import UsageError
from .values import field, frozen
from .version import next_version
from .workspace import Workspace
from .workspace_graph import (
    colliding_tags,
    dependents,
    find_cycle,
    graph,
    release_order,
)
from .workspace_pins import PinRewrite


@frozen
class Selection:
    """What the user chose: ``--package NAME`` (repeatable), ``--all``, ``--changed``."""

    names: tuple[str, ...] = ()
    all: bool = False
    changed: bool = False

    @property
    def made(self) -> bool:
        """Whether any choice was made at all."""
        return bool(self.names or self.all or self.changed)


@frozen
class Parts:
    """``--part PART`` for every chosen package, and ``--part NAME=PART`` for one."""

    default: str = "patch"
    named: tuple[tuple[str, str], ...] = ()

    def of(self, name: str) -> str:
        """The part (or explicit version) of package ``name``."""
        named: dict[str, str] = {normalize(n): p for n, p in self.named}
        return named.get(normalize(name), self.default)


@frozen
class PackageRelease:
    """One package of the release: from ``current`` to ``version``, tagged ``tag``."""

    name: str
    directory: str
    current: Version
    version: Version
    tag: str
    part: str
    why: str
    """``chosen``, ``changed since core-v0.1.0``, ``requires lib``: why it is in the release."""


@frozen
class Refusal:
    """One reason the release cannot go ahead, and what to do about it."""

    message: str
    hint: str


@frozen
class Decision:
    """The releases in dependency order and the pins to rewrite, or the refusals."""

    releases: tuple[PackageRelease, ...] = ()
    rewrites: tuple[PinRewrite, ...] = ()
    refusals: tuple[Refusal, ...] = ()
    tags: tuple[str, ...] = field(default=())
    """Every tag the release commit gets (one in lockstep)."""

    def error(self) -> UsageError | None:
        """All refusals as one exit-2 error (so one run names every problem), or None."""
        if not self.refusals:
            return None
        messages = list(dict.fromkeys(r.message for r in self.refusals))
        hints = list(dict.fromkeys(r.hint for r in self.refusals))
        return UsageError("; ".join(messages), hint="; ".join(hints))


# --- choosing ---


def choose(workspace: Workspace, selection: Selection) -> tuple[dict[str, str], list[Refusal]]:
    """The chosen packages (name -> why) before any version is computed, or the refusals."""
    names = [p.name for p in workspace.packages]
    refusals = []
    unknown = [n for n in selection.names if workspace.package(n) is None]
    for name in unknown:
        refusals.append(
            Refusal(
                f"--package {name}: there is no package {name} in this workspace",
                f"packages: {workspace.listing()}",
            )
        )
    if workspace.lockstep and selection.names:
        refusals.append(
            Refusal(
                "version-scheme is lockstep: every package is released together, "
                "so --package cannot choose some",
                "release ship --all (or --changed)",
            )
        )
    if refusals:
        return {}, refusals
    chosen: dict[str, str] = {}
    every = selection.all or (workspace.lockstep and selection.changed)
    if every and (not selection.changed or any(p.changed for p in workspace.packages)):
        chosen = dict.fromkeys(names, "chosen")
    for name in selection.names:
        chosen.setdefault(normalize(name), "chosen")
    if selection.changed and not workspace.lockstep:
        changed = [p for p in workspace.packages if p.changed]
        for p in changed:
            since = f"changed since {p.last_tag}" if p.last_tag else "never released"
            chosen.setdefault(p.name, since)
        if workspace.release_dependents:
            edges = graph(workspace.packages)
            for name in sorted(dependents(edges, [p.name for p in changed])):
                needs = [d for d in edges[name] if d in chosen]
                chosen.setdefault(name, f"requires {', '.join(needs)}")
    return chosen, []


def decide(
    workspace: Workspace,
    selection: Selection,
    parts: Parts,
    available: Mapping[str, frozenset[Version]] | None = None,
) -> Decision:
    """The releases in dependency order, the pins to rewrite, or every refusal (pure).

    ``available`` maps each package to the versions an index has (None: not read).
    """
    chosen, refusals = choose(workspace, selection)
    if refusals:
        return Decision(refusals=tuple(refusals))
    refusals.extend(_tag_refusals(workspace))
    refusals.extend(_part_refusals(workspace, parts, chosen))
    if not chosen and not refusals:
        refusals.append(
            Refusal(
                "nothing to release: no package changed since its last tag",
                "choose packages with --package NAME or --all",
            )
        )
    edges = graph(workspace.packages)
    cycle = find_cycle(edges, chosen)
    if cycle:
        refusals.append(
            Refusal(
                f"the packages require each other in a cycle: {' -> '.join(cycle)}",
                "break the cycle: a package cannot be released before itself",
            )
        )
    targets, version_refusals = _targets(workspace, parts, chosen)
    refusals.extend(version_refusals)
    if refusals:
        return Decision(refusals=tuple(refusals))
    rewrites, problems = pins.check(workspace, targets, available)
    if problems:
        return Decision(refusals=tuple(Refusal(m, h) for m, h in problems))
    releases = tuple(
        _release_of(workspace, name, targets[name], parts, chosen[name])
        for name in release_order(edges, chosen)
    )
    return Decision(
        releases=releases,
        rewrites=tuple(rewrites),
        tags=tuple(dict.fromkeys(r.tag for r in releases)),
    )


def _tag_refusals(workspace: Workspace) -> list[Refusal]:
    if workspace.lockstep:
        return [
            Refusal(
                f"version-scheme is lockstep (one tag, {workspace.lockstep_tag_format}), but "
                f"{p.directory}/pyproject.toml sets a tag-format of its own",
                f"remove tag-format from {p.directory}/pyproject.toml",
            )
            for p in workspace.packages
            if p.tag_format_set and p.directory != "."
        ]
    return [
        Refusal(
            f"packages {a.name} and {b.name} could get the same tag ({example!r} fits both "
            f"{a.tag_format!r} and {b.tag_format!r})",
            'give each package a tag-format of its own, e.g. tag-format = "{name}-v{version}"',
        )
        for a, b, example in colliding_tags(workspace.packages)
    ]


def _part_refusals(workspace: Workspace, parts: Parts, chosen: Mapping[str, str]) -> list[Refusal]:
    refusals = []
    if workspace.lockstep and parts.named:
        refusals.append(
            Refusal(
                "version-scheme is lockstep: one version for every package, so "
                "--part NAME=PART cannot set one package's part",
                "use --part PART",
            )
        )
        return refusals
    for name, _ in parts.named:
        if workspace.package(name) is None:
            refusals.append(
                Refusal(
                    f"--part {name}=...: there is no package {name} in this workspace",
                    f"packages: {workspace.listing()}",
                )
            )
        elif normalize(name) not in chosen:
            refusals.append(
                Refusal(
                    f"--part {name}=...: {normalize(name)} is not in this release",
                    f"add --package {normalize(name)}, or leave out its --part",
                )
            )
    return refusals


def _targets(
    workspace: Workspace, parts: Parts, chosen: Mapping[str, str]
) -> tuple[dict[str, Version], list[Refusal]]:
    """The new version of each chosen package (one shared version in lockstep)."""
    refusals = []
    currents: dict[str, Version] = {}
    for name in chosen:
        p = workspace.package(name)
        assert p is not None
        if p.current is None:
            refusals.append(
                Refusal(f"{p.name} ({p.directory}): {p.problem}", "fix its version, then run again")
            )
        else:
            currents[name] = p.current
    if refusals:
        return {}, refusals
    if workspace.lockstep and currents:
        distinct = sorted(set(currents.values()))
        if len(distinct) > 1:
            listed = ", ".join(f"{n} {v}" for n, v in sorted(currents.items()))
            return {}, [
                Refusal(
                    f"version-scheme is lockstep but the packages' versions differ: {listed}",
                    "give every package the same version, then run again",
                )
            ]
    targets: dict[str, Version] = {}
    for name, current in currents.items():
        try:
            targets[name] = next_version(current, parts.of(name))
        except UsageError as exc:
            refusals.append(Refusal(f"{name}: {exc.message}", exc.hint or "choose another part"))
    return targets, refusals


def _release_of(
    workspace: Workspace, name: str, version: Version, parts: Parts, why: str
) -> PackageRelease:
    p = workspace.package(name)
    assert p is not None and p.current is not None
    tag_format = workspace.lockstep_tag_format if workspace.lockstep else p.tag_format
    return PackageRelease(
        name=name,
        directory=p.directory,
        current=p.current,
        version=version,
        tag=tag_format.format(version=version),
        part=parts.of(name),
        why=why,
    )


def describe(decision: Decision) -> list[str]:
    """One line per thing the release would do, in order (for ``--dry-run`` and ``status``)."""
    lines = [
        f"release {r.name} {r.current} -> {r.version} ({r.tag}; {r.why})" for r in decision.releases
    ]
    lines.extend(
        f"rewrite {w.package}'s requirement {w.old!r} -> {w.new!r} ({w.directory}/pyproject.toml)"
        for w in decision.rewrites
    )
    if decision.tags:
        lines.append(f"tag the one release commit {', '.join(decision.tags)}")
    return lines


def commit_message(releases: tuple[PackageRelease, ...]) -> str:
    """The release commit's message: every package and version, then one line each."""
    head = "Release " + ", ".join(f"{r.name} {r.version}" for r in releases)
    body = "\n".join(f"- {r.name} {r.current} -> {r.version} ({r.tag})" for r in releases)
    return f"{head}\n\n{body}\n"


def resuming(workspace: Workspace) -> Decision | None:
    """The release HEAD already carries (its tags at HEAD, at the packages' versions), or None.

    A re-run after a failure past the bump finishes that release: no second bump.
    """
    head = set(workspace.head_tags)
    found = []
    for p in workspace.packages:
        if p.current is None:
            continue
        fmt = workspace.lockstep_tag_format if workspace.lockstep else p.tag_format
        tag = fmt.format(version=p.current)
        if tag in head:
            found.append(
                PackageRelease(p.name, p.directory, p.current, p.current, tag, "", "resuming")
            )
    if not found:
        return None
    order = release_order(graph(workspace.packages), [r.name for r in found])
    by_name = {r.name: r for r in found}
    releases = tuple(by_name[n] for n in order)
    return Decision(releases=releases, tags=tuple(dict.fromkeys(r.tag for r in releases)))


def from_tag(workspace: Workspace, tag: str) -> Decision:
    """The release of the one package ``tag`` names (``lib-v0.2.0``), made and tagged at HEAD.

    What a workflow started by a pushed tag publishes: the derivation of the package from the
    tag name lives here, not in the workflow's shell.
    """
    if tag.startswith("refs/tags/"):
        tag = tag.removeprefix("refs/tags/")
    named = [
        p
        for p in workspace.packages
        if p.current is not None
        and (workspace.lockstep_tag_format if workspace.lockstep else p.tag_format).format(
            version=p.current
        )
        == tag
    ]
    tags = ", ".join(
        f"{p.name}: {p.tag_format.format(version=p.current)}"
        for p in workspace.packages
        if p.current is not None
    )
    if not named:
        return Decision(
            refusals=(
                Refusal(
                    f"tag {tag} is no package's release tag at its current version ({tags})",
                    "push a tag of the form the package's tag-format gives, on the commit "
                    "that carries that version",
                ),
            )
        )
    if tag not in workspace.head_tags:
        return Decision(
            refusals=(
                Refusal(
                    f"tag {tag} is not at HEAD: this checkout is not the tagged release",
                    f"check out {tag} (the workflow's ref) and run again",
                ),
            )
        )
    if workspace.lockstep:
        names = [p.name for p in workspace.packages if p.current is not None]
    else:
        names = [named[0].name]
    by_name = {p.name: p for p in workspace.packages}
    order = release_order(graph(workspace.packages), names)
    releases = tuple(
        PackageRelease(n, by_name[n].directory, cur, cur, tag, "", f"tagged {tag}")
        for n in order
        if (cur := by_name[n].current) is not None
    )
    return Decision(releases=releases, tags=(tag,))
