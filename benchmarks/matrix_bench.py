"""make bench's matrix section: the matrix's wall time beside the sum of its cells' floors.

A cell's floor is what a bare script does to answer the same question, measured in the same run by
``floors.floor``: start <from>, seed, stop, <to>'s ``alembic upgrade head``, start <to>, one list call, stop
(direct and hop); a back cell's adds <to>'s ``alembic downgrade`` to <from>'s head and <from> served again. A
cell the run answers from another (the hop to the target is the direct cell's upgrade) costs the run nothing
and has no floor of its own: it is listed, not summed. The suite seeds each from-release once per run and
copies it into every cell, so a cell may cost less than its floor; the floors are also summed with one seed per
from-release (``floor_seeded_once``: a later cell of the same release without start, token and seed).
The matrix runs as ``make matrix`` runs it, serially, then (``--jobs N``) as ``make matrix JOBS=N`` does, each
in a fresh reports directory, so no record is reused. The machine may be shared: the load average before and
after each run is printed beside it.
Alone: ``python -m benchmarks.matrix_bench`` (JSON in reports/bench/matrix.json); ``make bench`` includes it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.floors import ROOT, floor, standalone
from upgrade_suite.base.config import SuiteConfig
from upgrade_suite.releases.pypi import PyPIReleases
from upgrade_suite.releases.specs import resolve
from upgrade_suite.releases.venvs import ReleaseCache
from upgrade_suite.services.database import PostgresServer
from upgrade_suite.services.mcp_fixture import McpServerFixture

#: The smallest real range with every kind of cell twice (the shard test's); ``--matrix`` changes it.
RANGE = "1.0.10..1.1.0"
_TAGS = {"sqlite": "@sqlite", "postgresql": "@postgres"}


def _load() -> str:
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


def run_matrix(workdir: Path, first: str, last: str, engine: str, jobs: int) -> dict[str, Any]:
    """One matrix run as make matrix (JOBS=``jobs``) starts it, in ``workdir``: wall, load, and its matrix.json."""
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "behave.ini", workdir / "behave.ini")
    selection = ["-D", f"matrix_from={first}", "-D", f"matrix_to={last}", f"--tags={_TAGS[engine]}"]
    behave = [str(Path(sys.executable).parent / "behave"), str(ROOT / "features" / "matrix.feature"), "--tags=@matrix"]
    runner = [sys.executable, "-m", "upgrade_suite.matrix.jobs", str(jobs)]
    load_before, started = _load(), time.monotonic()
    result = subprocess.run(
        [*(behave if jobs == 1 else runner), *selection],
        cwd=workdir,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    wall = time.monotonic() - started
    data_file = workdir / "reports" / "matrix.json"
    if not data_file.is_file():  # a red cell is a finding; no matrix at all is a broken bench
        print(result.stdout[-3000:], result.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"the matrix run (JOBS={jobs}) wrote no matrix.json")
    return {
        "jobs": jobs,
        "wall": round(wall, 2),
        "load": f"{load_before} -> {_load()}",
        "exit": result.returncode,
        "matrix": json.loads(data_file.read_text()),
    }


def _cells(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every cell of a matrix.json with its from release and kind, in the grid's order."""
    return [
        cell | {"from": from_version, "kind": kind}
        for rows in data["engines"].values()
        for from_version, kinds in rows.items()
        for kind, cell in kinds.items()
    ]


def measure(
    first: str, last: str, engine: str, jobs: int, mcp: McpServerFixture, server: PostgresServer | None, scratch: Path
) -> dict[str, Any]:
    """The matrix's wall (serially and with ``jobs``) against its cells' floors, cell by cell."""
    serial = run_matrix(scratch / "matrix-serial", first, last, engine, 1)
    config = SuiteConfig.from_userdata({})
    index, cache = PyPIReleases(config.cache_dir), ReleaseCache(config.cache_dir, 900)
    cells, judged, seeded = [], set(), set()
    for cell in _cells(serial["matrix"]):
        taken = cell["key"] in judged  # another cell of the run judged this very upgrade: its record, copied
        judged.add(cell["key"])
        older, newer = (cache.provision(resolve(v, v, index)) for v in (cell["from"], cell["to"]))
        phases = {} if taken else floor(engine, older, newer, mcp, server, scratch / cell["id"], cell["kind"] == "back")
        seed = sum(phases.get(p, 0.0) for p in (f"start {older.spec.alias}", f"mint token {older.spec.alias}", "seed"))
        cells.append(
            {"id": cell["id"], "verdict": cell["verdict"], "taken_from_another": taken, "seconds": cell["seconds"]}
            | {"floor": phases.get("total", 0.0), "floor_phases": phases}
            # the suite seeds each from-release once per run and copies it: so may a bare script
            | {"floor_seeded_once": round(phases.get("total", 0.0) - (seed if cell["from"] in seeded else 0.0), 3)}
        )
        seeded |= {cell["from"]} if phases else set()
    run = [c for c in cells if not c["taken_from_another"]]
    result = {
        "range": f"{first}..{last}",
        "database": engine,
        "cells": cells,
        "serial": {k: v for k, v in serial.items() if k != "matrix"},
        "sum_of_cells": round(sum(c["seconds"] for c in run), 2),
        "sum_of_floors": round(sum(c["floor"] for c in run), 2),
        "sum_of_floors_seeded_once": round(sum(c["floor_seeded_once"] for c in run), 2),
    }
    if jobs > 1:
        parallel = run_matrix(scratch / f"matrix-jobs-{jobs}", first, last, engine, jobs)
        result["parallel"] = {k: v for k, v in parallel.items() if k != "matrix"}
    return result


def render(result: dict[str, Any]) -> str:
    """The matrix section of make bench's table: per cell, then the walls against the sum of floors."""
    floors = result["sum_of_floors"]
    lines = [
        f"Matrix {result['range']} on {result['database']}, {len(result['cells'])} cells   suite (s)  floor (s)  ratio",
    ]
    for cell in result["cells"]:
        if cell["taken_from_another"]:
            lines.append(f"  {cell['id']:<44}{'(the same upgrade as another cell: not run)':>30}")
        else:
            ratio = cell["seconds"] / cell["floor"]
            lines.append(f"  {cell['id']:<44}{cell['seconds']:>8.1f}  {cell['floor']:>9.1f}  {ratio:>5.2f}")
    once = result["sum_of_floors_seeded_once"]
    lines.append(
        f"  sum of the cells run {result['sum_of_cells']:.1f} s, sum of their floors {floors:.1f} s "
        f"(each seeding its own), {once:.1f} s (a seed per from-release, as the suite does)"
    )
    runs = [result["serial"], *([result["parallel"]] if "parallel" in result else [])]
    for run in runs:
        name = "make matrix" + (f" JOBS={run['jobs']}" if run["jobs"] > 1 else "")
        lines.append(
            f"  {name:<22} wall {run['wall']:>7.1f} s, wall / sum of floors {run['wall'] / floors:.2f} "
            f"({run['wall'] / once:.2f} seeded once), "
            f"exit {run['exit']}, load {run['load']}"
        )
    if len(runs) > 1:
        lines.append(f"  JOBS={runs[1]['jobs']} wall / serial wall {runs[1]['wall'] / runs[0]['wall']:.2f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matrix", default=RANGE, help="FROM..TO, the releases of the matrix measured")
    parser.add_argument("--database", default="sqlite", choices=sorted(_TAGS))
    parser.add_argument("--jobs", type=int, default=2, help="also measure make matrix JOBS=N (1: serial only)")
    parser.add_argument("--out", default=str(ROOT / "reports" / "bench"))
    options = parser.parse_args()
    first, _, last = options.matrix.partition("..")
    standalone(
        "matrix",
        options.out,
        options.database == "postgresql",
        lambda mcp, server, scratch: measure(first, last, options.database, options.jobs, mcp, server, scratch),
        render,
    )


if __name__ == "__main__":
    main()
