"""make matrix JOBS=N: each shard's command and reports are its own; the merge keeps only the cells planned."""

import json

import pytest

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.matrix import jobs
from upgrade_suite.matrix.plan import plan, shard
from upgrade_suite.matrix.results import CellResult, cell_ids, merge, record
from upgrade_suite.reporting.runs import RunRecord, load_runs

RELEASES = {v: [{"yanked": False}] for v in ("1.0.9", "1.0.10", "1.0.11", "1.1.0")}


def test_each_shard_runs_its_own_part_into_its_own_reports(tmp_path):
    commands = [jobs.command(i, 2, ["-D", "matrix_from=1.0.9", "--tags=@sqlite"], tmp_path) for i in (1, 2)]
    assert [c[c.index("-D", 3) :] for c in commands] == [
        [
            "-D",
            "matrix_from=1.0.9",
            "--tags=@sqlite",
            "-D",
            "shard=1/2",
            "-D",
            f"reports_dir={tmp_path}/matrix-shards/1-of-2",
        ],
        [
            "-D",
            "matrix_from=1.0.9",
            "--tags=@sqlite",
            "-D",
            "shard=2/2",
            "-D",
            f"reports_dir={tmp_path}/matrix-shards/2-of-2",
        ],
    ]
    assert all("--tags=@matrix" in c and c[1].endswith("features/matrix.feature") for c in commands)


@pytest.mark.parametrize("text", ["0", "-1", "two", ""])
def test_a_bad_jobs_count_stops_in_one_line(text):
    with pytest.raises(SuiteError, match="is not a number of shards"):
        jobs.jobs(text)


@pytest.mark.parametrize("argument", ["shard=1/2", "-Dshard=1/2", "reports_dir=/tmp/x"])
def test_options_the_runner_sets_per_shard_are_refused_in_args(argument):
    with pytest.raises(SuiteError, match="set per shard"):
        jobs.refuse_own_options(["-D", "matrix_from=1.0.9", argument])
    jobs.refuse_own_options(["-D", "matrix_from=1.0.9", "--tags=@sqlite"])


def test_the_merge_of_shards_leaves_out_records_their_plans_do_not_hold(tmp_path):
    cells = plan(RELEASES, "1.0.9", engines=("sqlite",)).cells
    narrower = {c.id for c in plan(RELEASES, "1.0.10", engines=("sqlite",)).cells}
    directories = []
    for index in (1, 2):
        directory = tmp_path / f"{index}-of-2"
        directories.append(directory)
        for cell in shard(cells, index, 2):
            record(directory / "matrix-results", CellResult(cell, "k", "passed", 1.0))
        planned = merge([directory / "matrix-results"])
        planned["engines"]["sqlite"].pop("1.0.9")  # this run's range starts later: 1.0.9's records are an older run's
        (directory / "matrix.json").write_text(json.dumps(planned))
    assert cell_ids(jobs.combine(directories)) == narrower


def test_shards_runs_are_gathered_into_one_run_but_not_their_partial_matrix_attachments(tmp_path):
    for index in (1, 2):
        run = RunRecord.start(tmp_path / f"{index}", f"-D shard={index}/2")
        (run.results / f"uuid-{index}-result.json").write_text("{}")
        (run.results / "matrix-globals.json").write_text("{}")
        (run.results / "matrix-0-attachment.png").write_bytes(b"")
        run.finish([{"scenario": f"cell {index}", "verdict": "passed", "releases": {}}], aborted=False)
    run = jobs.gather_runs([tmp_path / "1", tmp_path / "2"], tmp_path / "merged", "make matrix JOBS=2")
    assert sorted(p.name for p in run.results.iterdir()) == ["uuid-1-result.json", "uuid-2-result.json"]
    assert [s["scenario"] for s in load_runs(tmp_path / "merged")[0].scenarios] == ["cell 1", "cell 2"]
