"""Workspace figures for ``nox -s bench`` (issue 11), called from benchmarks/run.py.

(w1) a three-package workspace released with ``--all``, against the same three packages as
     three single-package repositories released one after another (target ratio <= 0.6);
(w2) generated workspaces of 3, 10 and 30 small packages, each released with ``--all``: the
     time per package at each size, and time(30) / time(3) (must be <= 10, target <= 6);
(w3) for 30 packages, the peak memory (ru_maxrss) of the ``release`` process itself.

Every release is a rehearsal (the default local target: a throwaway clone, a throwaway
index), so nothing is uploaded anywhere and the repositories are left as they were.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

SIZES = (3, 10, 30)
IDENTITY = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@localhost",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@localhost",
}

# runs ``release ARGV`` in this process, then writes its own peak RSS and its children's
MEASURED = """
import json, resource, sys
from release.__main__ import main
code = main(sys.argv[2:])
usage = {"self_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
         "children_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}
open(sys.argv[1], "w").write(json.dumps(usage))
sys.exit(code)
"""


def package_files(name: str) -> dict[str, str]:
    """A small hatchling package: a module with a version, a README, the metadata twine wants."""
    module = name.replace("-", "_")
    return {
        "pyproject.toml": '[build-system]\nrequires = ["hatchling>=1.21"]\n'
        'build-backend = "hatchling.build"\n\n[project]\n'
        f'name = "{name}"\nversion = "0.1.0"\ndescription = "A benchmark package."\n'
        'readme = "README.md"\nrequires-python = ">=3.10"\ndependencies = []\n\n'
        f'[tool.hatch.build.targets.wheel]\npackages = ["src/{module}"]\n',
        "README.md": f"# {name}\n\nA package of the workspace benchmark.\n",
        f"src/{module}/__init__.py": f'"""{name}."""\n',
    }


def _commit(root: Path) -> Path:
    env = {**os.environ, **IDENTITY}
    for args in (("init", "-q", "-b", "main"), ("add", "-A"), ("commit", "-q", "-m", "bench")):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)
    return root


def workspace(base: Path, size: int) -> Path:
    """A committed uv workspace of ``size`` independent packages ``wsN-pK``."""
    root = base / f"ws{size}"
    for k in range(size):
        for rel, text in package_files(f"ws{size}-p{k}").items():
            path = root / "packages" / f"p{k}" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    (root / "pyproject.toml").write_text('[tool.uv.workspace]\nmembers = ["packages/*"]\n')
    return _commit(root)


def single(base: Path, name: str) -> Path:
    """A committed single-package repository of ``name``."""
    root = base / f"single-{name}"
    for rel, text in package_files(name).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return _commit(root)


def release(root: Path, *argv: str) -> tuple[float, dict[str, int]]:
    """``release --project ROOT ship ARGV`` (a rehearsal): seconds, and peak RSS in KiB."""
    usage = root.parent / f"{root.name}.rusage.json"
    cmd = [sys.executable, "-c", MEASURED, str(usage), "--project", str(root), "ship", *argv]
    env = {**os.environ, **IDENTITY}
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"benchmark step failed: {' '.join(cmd[3:])}\n{proc.stdout}\n{proc.stderr}")
    return elapsed, json.loads(usage.read_text())


def three_against_singles(base: Path) -> float:
    """(w1) one ``--all`` release of three packages against three single releases in a row."""
    ws = workspace(base / "w1", 3)
    together, _ = release(ws, "--all")
    apart = sum(release(single(base / "w1", f"ws3-p{k}"))[0] for k in range(3))
    ratio = together / apart
    print(f"workspace --all, 3 packages            {together:7.2f}s")
    print(f"3 single-package releases in a row     {apart:7.2f}s")
    print(f"ratio workspace/singles = {ratio:.2f}  (target <= 0.6)", flush=True)
    return ratio


def growth(base: Path) -> dict[int, float]:
    """(w2, w3) ``--all`` on 3, 10 and 30 packages: time per package, growth, peak memory."""
    times: dict[int, float] = {}
    for size in SIZES:
        elapsed, usage = release(workspace(base / "w2", size), "--all")
        times[size] = elapsed
        print(
            f"workspace --all, {size:2d} packages           {elapsed:7.2f}s  "
            f"({elapsed / size:5.2f}s per package)",
            flush=True,
        )
        if size == SIZES[-1]:
            # only the process's own: on Linux a forked child's ru_maxrss starts at its
            # parent's RSS, so RUSAGE_CHILDREN can never read below the release process
            print(f"peak RSS, {size} packages: release process {usage['self_kib'] / 1024:.0f} MiB")
    growth = times[SIZES[-1]] / times[SIZES[0]]
    print(f"time({SIZES[-1]})/time({SIZES[0]}) = {growth:.2f}  (must be <= 10, target <= 6)")
    return times


def main(base: Path) -> None:
    """Every workspace figure, printed as it comes."""
    print("\n# workspaces (rehearsals)", flush=True)
    three_against_singles(base)
    growth(base)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="releasekit-bench-ws-") as tmp:
        main(Path(tmp))
