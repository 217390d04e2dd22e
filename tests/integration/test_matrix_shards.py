"""Sharded or whole, the matrix says the same: ``-D shard=1/3``, ``2/3`` and ``3/3`` plus the merge give the
matrix.json of one unsharded run (what the sharded matrix must give), over real releases.

The range is the smallest real one: 1.0.11 .. 1.1.0, a cell of each kind (direct, hop, back), one per shard.
Each cell costs a seeded gateway and two or three gateway starts, so the cost grows with the cells, not with
the shards; round-robin over many cells and counts is the unit tests' (test_matrix_plan, test_matrix_results);
what only real runs can show is that a cell's key and verdict do not depend on which run judged it. Measured
2026-12-02 over 1.0.10 .. 1.1.0 (6 cells) on this 2-core machine beside another engineer's runs (load 9):
342 s; this range halves the gateways. SQLite only (``--tags=@sqlite``, the way ``make matrix`` narrows to one
database): which cells a shard owns and how shards merge does not depend on the engine (it is one field of a
cell's id and key), the PostgreSQL cells are the same scenarios on another URL (the whole matrix gave the same
verdict on both in every cell), and they would double this test's cost inside ``make test``.

The three shards run at once through ``make matrix JOBS=3``'s runner (``upgrade_suite.matrix.jobs``: each shard
into a reports directory of its own, then ``results.merge``), beside the whole run: four behave runs, each with
its own store of cell records, so no run skips a cell because another one recorded it (``matrix_fresh`` is not
needed: every store starts empty). They share the release venv cache: the first run to need a venv builds it
under a lock, the others reuse it; seeded fixtures are per run, so each shard seeds its own.

What must match, cell for cell: the set of cells, each cell's releases, key (both releases as installed,
SQLite's version, the suite's code), verdict and first problem. What naturally differs and is not compared:
durations and Allure uuids (other runs), and so the hop 1.0.11 -> 1.1.0: the whole run gives it the direct
cell's verdict (the same upgrade, the same key), its shard runs it; one key and one verdict is the promise.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from upgrade_suite.matrix.plan import plan, shard
from upgrade_suite.matrix.results import load, merge

from conftest import ROOT, background, prepare_workdir, results_of, run_behave

pytestmark = pytest.mark.integration

RANGE = ("-D", "matrix_from=1.0.11", "-D", "matrix_to=1.1.0", "--tags=@sqlite")
SHARDS = 3


def essentials(data: dict[str, Any]) -> dict[tuple[str, str, str], tuple[str, str, str, str]]:
    """What two runs of the same cells must agree on: per (database, from, kind) its target, key, verdict, problem."""
    return {
        (engine, from_version, kind): (cell["to"], cell["key"], cell["verdict"], cell["problem"])
        for engine, rows in data["engines"].items()
        for from_version, kinds in rows.items()
        for kind, cell in kinds.items()
    }


def _shards_at_once(workdir: Path) -> subprocess.Popen[str]:
    return background(
        [sys.executable, "-m", "upgrade_suite.matrix.jobs", str(SHARDS), *RANGE], workdir, workdir / "jobs-output.txt"
    )


def test_three_shards_merged_give_the_whole_runs_matrix(workdir: Path, no_leftovers: None) -> None:
    sharded = prepare_workdir(workdir / "sharded")  # under workdir: no_leftovers checks its processes too
    jobs = _shards_at_once(sharded)
    try:
        whole = run_behave(workdir, str(ROOT / "features" / "matrix.feature"), "--tags=@matrix", *RANGE)
        jobs.wait(timeout=900)
    finally:
        if jobs.poll() is None:
            jobs.terminate()
            jobs.wait(timeout=90)
    jobs_output = (sharded / "jobs-output.txt").read_text()
    assert whole.returncode == 0, whole.failures()
    assert jobs.returncode == 0, jobs_output

    everything = load([whole.reports / "matrix-results"])
    directories = [sharded / "reports" / "matrix-shards" / f"{i}-of-{SHARDS}" for i in range(1, SHARDS + 1)]
    owned = [set(load([d / "matrix-results"])) for d in directories]
    assert len(everything) == 3
    assert all(owned), "every shard has cells of its own"
    assert sum(map(len, owned)) == len(everything), "no cell is in two shards"
    assert set().union(*owned) == set(everything), "together the shards hold every cell"
    cells = plan({v: [{"yanked": False}] for v in ("1.0.11", "1.1.0")}, "1.0.11").cells  # PyPI's list, in range
    assert owned == [{c.id for c in shard(cells, i, SHARDS) if c.engine == "sqlite"} for i in range(1, SHARDS + 1)]

    merged = merge(d / "matrix-results" for d in directories)
    whole_matrix = json.loads((whole.reports / "matrix.json").read_text())
    assert merged["releases"] == whole_matrix["releases"] == ["1.0.11", "1.1.0"]
    assert merged["target"] == whole_matrix["target"] == "1.1.0"
    assert essentials(merged) == essentials(whole_matrix)
    assert {v[2] for v in essentials(merged).values()} == {"passed"}, "these releases' cells are green today"

    published = json.loads((sharded / "reports" / "matrix.json").read_text())
    assert published == json.loads(json.dumps(merged)), "make matrix JOBS=3 publishes the library's merge"
    assert "matrix.html shows what matrix.json holds" in jobs_output
    allure = results_of(sharded / "reports")  # the shards' runs gathered into one
    assert len(list(allure.glob("*-result.json"))) == 3, "one Allure result dir: every shard's scenarios"
    assert (allure / "matrix-globals.json").is_file(), "the merged page's screenshot, not a shard's part"
