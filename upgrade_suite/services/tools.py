"""Outside tools a selected path needs, checked (and where the suite can, installed) before any work starts.

HAProxy comes from Debian's archive: when it is missing and the suite runs as root on a Debian-like
machine, it is installed the way the README says an operator would (``apt-get install haproxy``);
otherwise the run stops with one line that says what to do.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.base.progress import console


def ensure_haproxy(timeout: float) -> str:
    """The path of ``haproxy``, installing Debian's package first when missing and possible."""
    found = shutil.which("haproxy")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise SuiteError(
            "haproxy is not installed and the rolling upgrade needs it: run 'apt-get install haproxy' as root"
        )
    console.print("[cyan]installing haproxy from Debian's archive (needed by @rolling)[/cyan]")
    install = ["apt-get", "install", "-y", "-q", "-o", "DPkg::Lock::Timeout=120", "haproxy"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    result = subprocess.run(install, capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL)
    if result.returncode != 0 and "Unable to locate package" in result.stderr:
        subprocess.run(
            ["apt-get", "update", "-q"], capture_output=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL
        )
        result = subprocess.run(
            install, capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL
        )
    found = shutil.which("haproxy")
    if result.returncode != 0 or not found:
        last = (result.stderr.strip() or result.stdout.strip()).splitlines()[-1:] or ["no output"]
        raise SuiteError(
            f"haproxy is not installed and 'apt-get install haproxy' failed ({last[0]}): install it, then run again"
        )
    return found
