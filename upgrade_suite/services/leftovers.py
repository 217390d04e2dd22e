"""What a crashed earlier run left behind, found and cleaned at the next start.

Every run writes its pid into the marker of its work directory (``reports/work/run-*``); the
embedded PostgreSQL's data directory (``/tmp/upgpg-*``) carries the suite's marker too. A run whose
pid is gone did not tear down: its gateways (recognised by a working directory inside its work
directory) are killed, its embedded PostgreSQL is stopped, and the directories are reported.
Its sandboxes are kept: they are the only evidence of what happened. A run that ended normally
(or was cleaned once) says so in its marker and is left alone. Containers of the docker
driver carry the run's label and pid (see ``engine``); those of a run whose pid is gone are removed, and so are
the mounts a fault scenario made under its work directory (``faults.ReadOnly``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from upgrade_suite.base.sandbox import MARKER
from upgrade_suite.services.engine import LABEL, PID_LABEL, remove_labelled
from upgrade_suite.services.faults import mounts_under, unmount

PG_SCRATCH_GLOB = "upgpg-*"
#: Written into a run's marker when it ended (or was found and cleaned): nothing of it runs any more.
CLOSED = "closed"


def mark_closed(run: Path) -> None:
    with (run / MARKER).open("a") as marker:
        marker.write(f"{CLOSED}\n")


@dataclass
class Leftovers:
    """A report of what an earlier, crashed run left and what was done about it."""

    runs: list[Path] = field(default_factory=list)
    killed: list[str] = field(default_factory=list)
    postgres_stopped: list[Path] = field(default_factory=list)
    containers: list[str] = field(default_factory=list)
    unmounted: list[Path] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"leftover of a crashed run kept as evidence: {run}" for run in self.runs]
        out += [f"killed a process of a crashed run: {process}" for process in self.killed]
        out += [f"stopped the embedded PostgreSQL of a crashed run: {path}" for path in self.postgres_stopped]
        out += [f"removed a container of a crashed run: {container}" for container in self.containers]
        out += [f"unmounted a fault of a crashed run: {path}" for path in self.unmounted]
        return out


def _owner_alive(marker: Path) -> bool:
    try:
        pid = int(marker.read_text().split("pid=")[1].split()[0])
    except (OSError, IndexError, ValueError):
        return False
    return pid_alive(pid)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _processes_under(root: Path) -> list[tuple[int, str]]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.readlink(proc / "cwd").startswith(str(root)):
                found.append(
                    (
                        int(proc.name),
                        (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:100],
                    )
                )
        except OSError:
            continue
    return found


def clean(work_root: Path, scratch_root: Path = Path("/tmp"), docker: Any = None) -> Leftovers:
    """Kill what crashed runs under ``work_root`` left running; stop their embedded PostgreSQL; remove their
    containers."""
    report = Leftovers()
    if docker is not None:
        report.containers = remove_labelled(
            docker, LABEL, keep=lambda labels: labels.get(PID_LABEL, "").isdigit() and pid_alive(int(labels[PID_LABEL]))
        )
    for run in sorted(work_root.glob("run-*")) if work_root.exists() else []:
        marker = run / MARKER
        if not marker.is_file() or CLOSED in marker.read_text() or _owner_alive(marker):
            continue
        report.runs.append(run)
        mark_closed(run)  # reported once; kept as evidence without being reported again
        for pid, command in _processes_under(run):
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    continue
            report.killed.append(f"{pid} {command}")
        for point in reversed(mounts_under(run)):  # a read-only database a fault scenario left mounted
            unmount(point)
            report.unmounted.append(point)
    for data in sorted(scratch_root.glob(PG_SCRATCH_GLOB)):
        marker = data / MARKER
        if marker.is_file() and not _owner_alive(marker):
            pg_ctl = _pg_ctl()
            if pg_ctl and (data / "data" / "postmaster.pid").exists():
                stop = [pg_ctl, "-D", str(data / "data"), "stop", "-m", "immediate"]
                if os.geteuid() == 0:  # pgserver runs postgres as its own user when started by root
                    stop = ["su", "pgserver", "-s", "/bin/sh", "-c", " ".join(stop)]
                subprocess.run(stop, capture_output=True, timeout=60)
            shutil.rmtree(data, ignore_errors=True)
            report.postgres_stopped.append(data)
    return report


def _pg_ctl() -> str:
    try:
        import pgserver._commands
    except ImportError:
        return ""
    return str(pgserver._commands.POSTGRES_BIN_PATH / "pg_ctl")
