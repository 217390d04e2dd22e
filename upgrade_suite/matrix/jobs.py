"""``make matrix JOBS=N``: N shards of the matrix at once on this machine, merged as the CI merge job merges them.

Each shard is the behave run ``make matrix`` starts, with ``-D shard=I/N`` and a reports directory of its own
(``<reports>/matrix-shards/I-of-N``): its sandboxes, its embedded PostgreSQL (a data directory and socket of
its own under /tmp), its cell records and its Allure results are its own, and every port is one the OS hands
out free, so two shards share nothing but the release venv cache (built under a file lock). A shard's store of
cell records stays in its directory, so a rerun with the same JOBS skips what that shard judged before.
The merge is ``results.merge`` over the shards' records (only cells their plans hold: a store may keep records
of an earlier, wider range), published as reports/matrix.json and matrix.html and read back in Chromium, and
the shards' runs are gathered into one run of reports/runs: one matrix and one report, as a serial run
leaves. No behave is imported here: the shards are started as a user starts them.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from rich.console import Console

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.matrix import on_cluster, page
from upgrade_suite.matrix.indexed_job import split
from upgrade_suite.matrix.render import publish
from upgrade_suite.matrix.results import RESULTS_DIR, cell_ids, load, log, matrix, shard_dir
from upgrade_suite.reporting.runs import RunRecord, load_runs

_ROOT = Path(__file__).resolve().parents[2]
FEATURE = _ROOT / "features" / "matrix.feature"
BEHAVE = Path(sys.executable).parent / "behave"
#: Options the runner sets per shard: given by the user as well, they would contradict it.
_OWN_OPTIONS = ("shard", "reports_dir")


def jobs(text: str) -> int:
    """``JOBS=2`` -> 2; anything but a whole number of one or more stops in one line."""
    if not text.strip().isdigit() or int(text) < 1:
        raise SuiteError(f"JOBS={text} is not a number of shards to run at once (e.g. make matrix JOBS=2)")
    return int(text)


def refuse_own_options(arguments: Sequence[str]) -> None:
    """A ``-D shard=`` or ``-D reports_dir=`` in ARGS: the runner sets both per shard, so say so instead of guessing."""
    for argument in arguments:
        name = argument.removeprefix("-D").split("=", 1)[0].strip()
        if "=" in argument and name in _OWN_OPTIONS:
            raise SuiteError(f"-D {name}= is set per shard by make matrix JOBS=N: leave it out of ARGS")


def command(index: int, count: int, arguments: Sequence[str], reports: Path) -> list[str]:
    """The behave command of shard ``index`` of ``count``: ``make matrix``'s, with its shard and reports directory."""
    directory = shard_dir(reports, index, count)
    return [
        str(BEHAVE),
        str(FEATURE),
        "--tags=@matrix",
        *arguments,
        "-D",
        f"shard={index}/{count}",
        "-D",
        f"reports_dir={directory}",
    ]


def run_shards(count: int, arguments: Sequence[str], reports: Path, console: Console) -> dict[Path, int]:
    """Start every shard at once, wait for all: each one's reports directory and exit status, in shard order.

    An interrupt stops them (SIGTERM: each cleans up as on Ctrl-C)."""
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")])),
    }
    processes: dict[int, subprocess.Popen[bytes]] = {}
    started = time.monotonic()
    try:
        for index in range(1, count + 1):
            directory = shard_dir(reports, index, count)
            directory.mkdir(parents=True, exist_ok=True)
            with log(directory).open("w") as output:
                processes[index] = subprocess.Popen(
                    command(index, count, arguments, reports),
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env=environment,
                )
        console.print(f"matrix: {count} shards at once, their output in {shard_dir(reports, 1, count).parent}/*/")
        ended: dict[int, int] = {}
        while len(ended) < count:
            for index, process in processes.items():
                if index not in ended and process.poll() is not None:
                    ended[index] = process.returncode
                    seconds = time.monotonic() - started
                    console.print(
                        f"matrix: shard {index}/{count} ended (exit {process.returncode}) after {seconds:.0f} s"
                    )
            time.sleep(0.5)
        return {shard_dir(reports, index, count): ended[index] for index in sorted(ended)}
    finally:
        _stop(processes.values())


def _stop(processes: Iterable[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to every shard still running, a minute to clean up, then SIGKILL."""
    alive = [p for p in processes if p.poll() is None]
    for process in alive:
        process.terminate()
    for process in alive:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def combine(directories: Sequence[Path]) -> dict[str, object]:
    """matrix.json's data from the shards' reports: their records, of the cells their own matrix.json holds."""
    planned: set[str] = set()
    for directory in directories:
        if (directory / "matrix.json").is_file():
            planned |= cell_ids(json.loads((directory / "matrix.json").read_text()))
    records = load(directory / RESULTS_DIR for directory in directories)
    return matrix({cell: result for cell, result in records.items() if cell in planned})


def gather_runs(directories: Sequence[Path], reports: Path, selection: str) -> RunRecord:
    """The shards' runs as one run of ``reports`` (one report, as a serial run makes); a shard's matrix attachments
    are its part only, so they are left for the merged page's."""
    parts = [run for directory in directories for run in load_runs(directory)]
    return RunRecord.combine(reports, parts, selection, leave_out=f"{page.PURPOSE}-")


def main(arguments: list[str]) -> int:
    """``python -m upgrade_suite.matrix.jobs N [behave arguments...]``: the exit status is the worst shard's. With
    ``-D engine=kubernetes`` the shards run as one Indexed Job on a cluster (``on_cluster``), merged the same way."""
    console = Console(highlight=False, soft_wrap=True)
    try:
        if not arguments:
            raise SuiteError("usage: python -m upgrade_suite.matrix.jobs N [behave arguments ...]")
        count = jobs(arguments[0])
        refuse_own_options(arguments[1:])
        cluster, behave_arguments = split(arguments[1:])
    except SuiteError as error:
        print(error, file=sys.stderr)
        return 2
    reports = Path("reports").resolve()
    if cluster is None:
        ended = run_shards(count, behave_arguments, reports, console)
    else:
        try:
            ended = on_cluster.run_shards(count, cluster, behave_arguments, reports, console)
        except SuiteError as error:
            print(f"matrix: {error}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("matrix: interrupted; the Job is deleted and the suite's node stopped", file=sys.stderr)
            return 130
    return finish(ended, reports, f"make matrix JOBS={count} {shlex.join(arguments[1:])}".strip(), console)


def finish(ended: dict[Path, int], reports: Path, selection: str, console: Console) -> int:
    """The shards' records merged and published, their runs gathered into one, the page read back; the worst
    shard's exit status (the shards' own one line when every one stopped before its cells)."""
    directories = list(ended)
    if not any((directory / "matrix.json").is_file() for directory in directories):
        # every shard stopped before its cells (a bad input): its own one line says why, the same in each
        lines = log(directories[0]).read_text().splitlines() if log(directories[0]).is_file() else []
        print(
            next((line for line in lines if "HOOK-ERROR" in line), f"matrix: see {log(directories[0])}"),
            file=sys.stderr,
        )
        return max(ended.values()) or 1
    data = combine(directories)
    publish(data, reports, console)
    run = gather_runs(directories, reports, selection)
    page.check(data, reports, run.results, console)
    for directory, returncode in ended.items():
        if returncode:
            console.print(f"matrix: a shard exited {returncode}: {log(directory)}")
    return max(ended.values())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
