"""Time our pipeline against the plain tools, on one small package and one local index.

(a) a hand-written workflow: python -m venv, pip install build twine, python -m build,
    twine upload, a fresh venv and pip install from the index;
(b) the same steps with uv: uv build, uv publish, uv venv, uv pip install;
(c) release build + release publish + release verify (which also make a clean export, run a
    strict check, compare hashes, import every package and run every console script);
(d) the full rehearsal, release ship against the embedded index (preflight, bump, clone,
    index start, build, check, upload, verify, push).

Then the commands a user runs by hand, where start-up time is what one feels: the median
of several runs of ``release bump patch --dry-run`` and ``release status``, beside
``uv version --bump patch --dry-run``.

Usage: python benchmarks/run.py [--rounds N] [--quick-runs N]. Prints each round, the
medians and the ratios.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from release.server import running
from release.tools import which

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "packages" / "pub-hatch-cli"
NAME, MODULE = "pub-hatch-cli", "pub_hatch_cli"
BIN = Path(sys.executable).parent


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    """Run one command; stop the benchmark with its output if it fails."""
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"benchmark step failed: {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}")


def git(cwd: Path, *args: str) -> None:
    """git with a fixed identity, so the benchmark needs no configuration."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@localhost",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@localhost",
    }
    run(["git", *args], cwd, env)


def project(base: Path, version: str) -> Path:
    """A fresh git repository of the fixture package at ``version``."""
    root = base / f"proj-{version}"
    shutil.copytree(FIXTURE, root)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('version = "1.0.0"', f'version = "{version}"')
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "bench")
    git(root, "config", "user.email", "bench@localhost")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "bench")
    return root


def plain(root: Path, url: str, version: str) -> None:
    """(a) the hand-written workflow."""
    work = root.parent / f"plain-{version}"
    run([sys.executable, "-m", "venv", str(work / "tools")], root)
    tools = work / "tools" / "bin"
    run([str(tools / "pip"), "install", "-q", "build", "twine"], root)
    run([str(tools / "python"), "-m", "build", "--outdir", str(work / "dist"), str(root)], root)
    files = [str(p) for p in (work / "dist").iterdir()]
    env = {**os.environ, "TWINE_USERNAME": "bench", "TWINE_PASSWORD": "bench"}
    run([str(tools / "twine"), "upload", "--repository-url", url, *files], root, env)
    run([sys.executable, "-m", "venv", str(work / "check")], root)
    check = work / "check" / "bin"
    run(
        [
            str(check / "pip"),
            "--isolated",
            "install",
            "-q",
            "--index-url",
            f"{url}simple/",
            f"{NAME}=={version}",
        ],
        root,
    )
    run([str(check / "python"), "-c", f"import {MODULE}"], root)


def with_uv(root: Path, url: str, version: str) -> None:
    """(b) the same steps done with uv."""
    uv = which("uv")
    assert uv is not None, "uv is needed for the benchmark"
    work = root.parent / f"uv-{version}"
    run([uv, "build", "-q", "--out-dir", str(work / "dist"), str(root)], root)
    files = [str(p) for p in (work / "dist").iterdir()]
    run([uv, "publish", "-q", "--publish-url", url, "-u", "bench", "-p", "bench", *files], root)
    run([uv, "venv", "-q", str(work / "check")], root)
    python = work / "check" / "bin" / "python"
    run(
        [
            uv,
            "pip",
            "install",
            "-q",
            "--python",
            str(python),
            "--index-url",
            f"{url}simple/",
            f"{NAME}=={version}",
        ],
        root,
    )
    run([str(python), "-c", f"import {MODULE}"], root)


def ours(root: Path, url: str, version: str) -> None:
    """(c) release build + release publish + release verify."""
    release = [str(BIN / "release"), "--project", str(root)]
    # credentials given explicitly, as (a) and (b) give them
    env = {**os.environ, "TWINE_USERNAME": "bench", "TWINE_PASSWORD": "bench"}
    run([*release, "build"], root)
    run([*release, "publish", "--repository", url], root, env)
    run([*release, "verify", "--repository", url, "--dist", str(root / "dist")], root)


def rehearsal(root: Path, url: str, version: str) -> None:
    """(d) the full pipeline, rehearsed against the embedded index."""
    run([str(BIN / "release"), "--project", str(root), "ship"], root)


QUICK_TARGETS = {"release bump patch --dry-run": 0.12, "release status": 0.5}
"""Median seconds each quick command must stay under (issue 10)."""


def quick(base: Path, runs: int) -> dict[str, float]:
    """Median wall time of each quick command, each run once first to warm the caches."""
    root = project(base, "2.0.0")
    release = [str(BIN / "release"), "--project", str(root)]
    commands = {
        "release bump patch --dry-run": [*release, "bump", "patch", "--dry-run"],
        "release status": [*release, "status"],
    }
    uv = which("uv")
    if uv is not None:
        commands["uv version --bump patch --dry-run"] = [
            uv,
            "version",
            "--bump",
            "patch",
            "--dry-run",
            "--project",
            str(root),
        ]
    # what a user has: bytecode caches written on the first run (CI sets this variable off)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    medians = {}
    for label, cmd in commands.items():
        run(cmd, root, env)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            run(cmd, root, env)
            times.append(time.perf_counter() - start)
        medians[label] = statistics.median(times)
    return medians


def print_quick(medians: dict[str, float]) -> None:
    """The quick commands' medians, each against its target."""
    print()
    for label, value in medians.items():
        target = QUICK_TARGETS.get(label)
        goal = f"  (target <= {target:.2f}s)" if target is not None else ""
        print(f"median {label:<36} {value:6.3f}s{goal}")


def main() -> None:
    """Run the rounds and print the medians and ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick-runs", type=int, default=7)
    parser.add_argument("--no-workspace", action="store_true", help="skip benchmarks/workspace.py")
    args = parser.parse_args()
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    approaches: dict[str, Callable[[Path, str, str], None]] = {
        "a plain tools": plain,
        "b uv": with_uv,
        "c release build+publish+verify": ours,
        "d release ship (rehearsal)": rehearsal,
    }
    times: dict[str, list[float]] = {k: [] for k in approaches}
    with (
        tempfile.TemporaryDirectory(prefix="releasekit-bench-") as tmp,
        running(Path(tmp, "index")) as index,
    ):
        for round_no in range(args.rounds):
            for number, (label, action) in enumerate(approaches.items()):
                version = f"1.{round_no}.{number}"
                root = project(Path(tmp), version)
                start = time.perf_counter()
                action(root, index.url, version)
                elapsed = time.perf_counter() - start
                times[label].append(elapsed)
                print(f"round {round_no + 1} {label:<32} {elapsed:6.2f}s", flush=True)
        quick_medians = quick(Path(tmp), args.quick_runs)
    median = {k: statistics.median(v) for k, v in times.items()}
    print()
    for label, value in median.items():
        print(f"median {label:<32} {value:6.2f}s")
    labels = list(approaches)
    a, b, c, d = (median[k] for k in labels)
    print()
    print(f"ratio c/a = {c / a:.2f}  (target <= 0.2)")
    rounds = "  ".join(
        f"{ci / bi:.2f}" for ci, bi in zip(times[labels[2]], times[labels[1]], strict=True)
    )
    print(f"ratio c/b = {c / b:.2f}  (target <= 1.3; round by round: {rounds})")
    print(f"ratio d/a = {d / a:.2f}  (the full rehearsal against the hand-written workflow)")
    print(f"d = {d:.2f}s  (target <= 4 s warm)")
    print_quick(quick_medians)
    if not args.no_workspace:
        import workspace  # benchmarks/workspace.py, beside this script: issue 11's figures

        with tempfile.TemporaryDirectory(prefix="releasekit-bench-ws-") as tmp_ws:
            workspace.main(Path(tmp_ws))


if __name__ == "__main__":
    main()
