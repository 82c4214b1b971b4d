"""A build backend that leaves traces an interrupted build must not leave behind.

It writes a temporary directory, starts a child whose command line carries the marker in
``SLEEPY_MARKER``, writes the file ``SLEEPY_READY`` names and sleeps: releasekit is meant to
be interrupted here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time


def _sleep(directory: str) -> str:
    marker = os.environ.get("SLEEPY_MARKER", "sleepy-no-marker")
    scratch = tempfile.mkdtemp(prefix="sleepy-scratch-")
    with open(os.path.join(scratch, "big.tmp"), "wb") as fh:
        fh.write(b"\0" * 65536)
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", marker])
    print(
        f"sleepy backend: building in {directory}, scratch {scratch}", file=sys.stderr, flush=True
    )
    ready = os.environ.get("SLEEPY_READY")
    if ready:  # the test waits for this file before it interrupts
        with open(ready, "w") as fh:
            fh.write(scratch)
    time.sleep(120)
    raise SystemExit("sleepy backend: woke up without being interrupted")


def build_sdist(sdist_directory: str, config_settings: object = None) -> str:
    return _sleep(sdist_directory)


def build_wheel(
    wheel_directory: str, config_settings: object = None, metadata_directory: object = None
) -> str:
    return _sleep(wheel_directory)
