"""Per-scenario working directories the suite owns: created, marked, kept for a failed run, removed.

Everything a scenario writes (databases, gateway logs, backups, alembic output) lives in its
sandbox, so nothing outside it is ever touched and a failed run leaves its evidence in one place.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

from upgrade_suite.base.errors import SuiteError

MARKER = ".gateway-upgrade-suite"


@dataclass
class Sandbox:
    """One scenario's directory, marked as the suite's so cleanup can never hit a foreign path."""

    path: Path

    @classmethod
    def create(cls, root: Path, name: str) -> Sandbox:
        """Make ``root/<slug of name>`` (unique), with the ownership marker inside."""
        root.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()[:60] or "scenario"
        path = root / slug
        counter = 1
        while path.exists():
            counter += 1
            path = root / f"{slug}-{counter}"
        path.mkdir()
        (path / MARKER).write_text(f"pid={os.getpid()}\n")
        return cls(path)

    def subdir(self, name: str) -> Path:
        """A directory inside the sandbox (created on first use)."""
        target = self.path / name
        target.mkdir(parents=True, exist_ok=True)
        return target

    def remove(self) -> None:
        """Delete the sandbox, but only if it carries the suite's marker."""
        remove_owned(self.path)


def remove_owned(path: Path) -> None:
    """Remove a directory the suite created; refuse anything without the marker."""
    if not path.exists():
        return
    if not (path / MARKER).is_file():
        raise SuiteError(f"refusing to delete {path}: it was not created by this suite (no {MARKER} marker)")
    shutil.rmtree(path)


def free_port() -> int:
    """A loopback port nobody listens on now (the OS picks it; the suite never uses fixed ports)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_is_listening(port: int) -> bool:
    """Whether something accepts connections on a loopback port (used to prove ports are released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0
