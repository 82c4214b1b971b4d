"""The graph between a workspace's packages and the tags they would get (pure).

Each package's ``[project] dependencies`` on siblings are the edges; the order of a release is
topological; two tag formats collide when one tag could be read as a version under both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from .dists import normalize
from .workspace import Package

Graph = Mapping[str, tuple[str, ...]]
"""Each package's name -> the names of the siblings it requires."""


# --- the dependency graph ---


def sibling_requirements(package: Package, names: Iterable[str]) -> list[tuple[str, Requirement]]:
    """``(raw, requirement)`` of each of ``package``'s requirements on a sibling in ``names``."""
    siblings = set(names)
    found = []
    for raw in package.requires:
        try:
            req = Requirement(raw)
        except InvalidRequirement:
            continue  # the build refuses it with the backend's own words
        name = normalize(req.name)
        if name in siblings and name != package.name:
            found.append((raw, req))
    return found


def graph(packages: Sequence[Package]) -> dict[str, tuple[str, ...]]:
    """Each package -> the siblings it requires (from ``[project] dependencies``)."""
    names = [p.name for p in packages]
    return {
        p.name: tuple(dict.fromkeys(normalize(r.name) for _, r in sibling_requirements(p, names)))
        for p in packages
    }


def find_cycle(edges: Graph, among: Iterable[str]) -> list[str] | None:
    """A dependency cycle among ``among`` as ``[a, b, a]``, or None when there is none."""
    nodes = sorted(set(among))
    inside = set(nodes)
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for dep in sorted(edges.get(node, ())):
            if dep not in inside:
                continue
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep not in state and (cycle := visit(dep)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in nodes:
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def topological(edges: Graph, among: Iterable[str]) -> tuple[str, ...]:
    """``among`` with every package after the siblings it requires; ties in name order.

    The graph among them must have no cycle (``find_cycle`` first).
    """
    remaining = set(among)
    order: list[str] = []
    while remaining:
        ready = sorted(n for n in remaining if not set(edges.get(n, ())) & remaining)
        if not ready:
            raise ValueError(f"cycle among {sorted(remaining)}")
        order.extend(ready)
        remaining -= set(ready)
    return tuple(order)


def release_order(edges: Graph, chosen: Iterable[str]) -> tuple[str, ...]:
    """``chosen`` in dependency order, also through siblings that are not chosen.

    ``app`` requires ``lib`` requires ``core``: with app and core chosen, core goes first.
    A cycle among the packages not chosen leaves only the direct edges to go by.
    """
    chosen = set(chosen)
    reachable = set(chosen)
    frontier = set(chosen)
    while frontier:
        frontier = {d for n in frontier for d in edges.get(n, ())} - reachable
        reachable |= frontier
    if find_cycle(edges, reachable) is not None:
        return topological(edges, chosen)
    return tuple(n for n in topological(edges, reachable) if n in chosen)


def dependents(edges: Graph, names: Iterable[str]) -> set[str]:
    """Every package that requires one of ``names``, directly or through others."""
    found: set[str] = set()
    frontier = set(names)
    while frontier:
        frontier = {n for n, deps in edges.items() if set(deps) & frontier} - found - set(names)
        found |= frontier
    return found


# --- tags ---

SAMPLE_VERSIONS = ("0.1.0", "1.2.3", "2.0.0rc1", "1.0.0.post1.dev2", "1!2.0", "10", "0.0.1a1")
"""Versions whose tags are tried against every other format to find two that collide."""


def _parses_as(tag: str, tag_format: str) -> bool:
    prefix, _, suffix = tag_format.partition("{version}")
    if not (tag.startswith(prefix) and tag.endswith(suffix)) or len(tag) < len(prefix + suffix):
        return False
    try:
        Version(tag[len(prefix) : len(tag) - len(suffix)])
    except InvalidVersion:
        return False
    return True


def colliding_tags(packages: Sequence[Package]) -> list[tuple[Package, Package, str]]:
    """Pairs of packages one tag could belong to both of, with an example tag."""
    found = []
    for i, a in enumerate(packages):
        for b in packages[i + 1 :]:
            example = _collision(a.tag_format, b.tag_format)
            if example is not None:
                found.append((a, b, example))
    return found


def _collision(a: str, b: str) -> str | None:
    if a == b:
        return a.format(version="1.2.3")
    for fmt, other in ((a, b), (b, a)):
        for v in SAMPLE_VERSIONS:
            tag = fmt.format(version=Version(v))
            if _parses_as(tag, other):
                return tag
    return None


def waves(edges: Graph, ordered: Sequence[str]) -> list[list[str]]:
    """``ordered`` (dependency order) cut before each package that requires, maybe through
    others, one already in the wave: a wave's packages can be verified at the same time."""

    def below(name: str, seen: set[str]) -> set[str]:
        for dep in edges.get(name, ()):
            if dep not in seen:
                seen.add(dep)
                below(dep, seen)
        return seen

    cut: list[list[str]] = []
    for name in ordered:
        if not cut or below(name, set()) & set(cut[-1]):
            cut.append([])
        cut[-1].append(name)
    return cut
