"""The matrix's GitHub Actions workflow, tested here, where GitHub Actions cannot run.

``make lint`` checks the file against GitHub's workflow schema (action-validator). What the schema cannot know,
and these tests read off the file itself: the shard jobs' command lines are ones the suite accepts and together
cover every cell once, a scheduled run (which has no inputs) judges the suite's own default range, the shards
upload what a run writes, and the merge job's own shell lines, run over artifacts laid out as
``actions/download-artifact`` lays them out (``<path>/<artifact name>/<paths below their common directory>``),
give the matrix.json of all the shards' records and one Allure results directory.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from upgrade_suite.base.config import MatrixSettings, SuiteConfig
from upgrade_suite.matrix.plan import plan, shard
from upgrade_suite.matrix.results import RESULTS_DIR, CellResult, merge, record
from upgrade_suite.reporting.runs import RunRecord, load_runs

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "matrix.yml"
RELEASES = {v: [{"yanked": False}] for v in ("0.9.0", "1.0.0", "1.0.9", "1.0.10", "1.1.0")}
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text())


def _evaluate(expression: str, context: dict[str, str]) -> str:
    """The expressions the workflow uses: a context value, or ``a || 'literal'`` (a scheduled run has no inputs)."""
    for alternative in (part.strip() for part in expression.split("||")):
        if alternative.startswith("'"):
            return alternative.strip("'")
        if context.get(alternative):
            return context[alternative]
    raise AssertionError(f"${{{{ {expression} }}}} has no value in {context}")


def _render(text: str, context: dict[str, str]) -> str:
    return _EXPRESSION.sub(lambda match: _evaluate(match.group(1), context), text)


def _step(job: dict[str, Any], needle: str) -> dict[str, Any]:
    return next(step for step in job["steps"] if needle in step.get("run", "") + step.get("uses", ""))


def _shard_options(number: int, inputs: dict[str, str]) -> dict[str, str]:
    """The -D options of shard ``number``'s ``make matrix`` line, as the job's shell gives them to make."""
    job = _workflow()["jobs"]["shard"]
    context = {"matrix.shard": str(number), **{f"env.{k}": str(v) for k, v in job["env"].items()}, **inputs}
    words = shlex.split(_render(_step(job, "make matrix")["run"], context))
    assert words[:2] == ["make", "matrix"], words
    arguments = shlex.split(next(word.removeprefix("ARGS=") for word in words if word.startswith("ARGS=")))
    assert arguments[::2] == ["-D"] * (len(arguments) // 2), arguments
    return dict(option.split("=", 1) for option in arguments[1::2])


def test_the_shard_jobs_are_one_to_n_and_together_cover_every_cell_once():
    job = _workflow()["jobs"]["shard"]
    count = int(job["env"]["SHARDS"])
    assert job["strategy"]["matrix"]["shard"] == list(range(1, count + 1))
    cells = plan(RELEASES).cells
    owned: list[str] = []
    for number in range(1, count + 1):
        options = _shard_options(number, {"inputs.matrix_from": "0.9.0", "inputs.matrix_to": "1.1.0"})
        settings = SuiteConfig.from_userdata(options).matrix
        assert (settings.first, settings.last, settings.shard) == ("0.9.0", "1.1.0", (number, count))
        owned += [cell.id for cell in shard(cells, *settings.shard)]
    assert sorted(owned) == sorted(cell.id for cell in cells)


def test_a_scheduled_run_without_inputs_judges_the_suites_default_range():
    settings = SuiteConfig.from_userdata(_shard_options(1, {})).matrix
    assert (settings.first, settings.last) == (MatrixSettings.first, MatrixSettings.last)


def test_shards_upload_what_a_run_writes_and_merging_the_downloads_gives_every_record(tmp_path: Path):
    jobs = _workflow()["jobs"]
    upload = _step(jobs["shard"], "actions/upload-artifact")
    uploaded = [Path(line.strip().rstrip("/")) for line in upload["with"]["path"].split()]
    assert uploaded == [Path("reports") / RESULTS_DIR, Path("reports") / "runs"]
    download = _step(jobs["merge"], "actions/download-artifact")["with"]["path"]
    cells = plan(RELEASES, engines=("sqlite",)).cells
    count = int(jobs["shard"]["env"]["SHARDS"])
    for number in range(1, count + 1):
        artifact = tmp_path / download / _render(upload["with"]["name"], {"matrix.shard": str(number)})
        for cell in shard(cells, number, count):
            record(artifact / RESULTS_DIR, CellResult(cell, f"key-{cell.id}", "passed", 1.0))
        run = RunRecord.start(artifact, f"-D shard={number}/{count}")  # each shard's own run, as it uploads it
        (run.results / f"uuid-{number}-result.json").write_text("{}")
        run.finish([{"scenario": f"cell of shard {number}", "verdict": "passed", "releases": {}}], aborted=False)
    merge_line = _step(jobs["merge"], "upgrade_suite.matrix")["run"].split("&&", 1)[1]
    allure_line = _step(jobs["merge"], "reports/runs")["run"].splitlines()[0]
    python = shlex.quote(sys.executable)
    for line in (merge_line.replace(".venv/bin/python", python), allure_line):
        done = subprocess.run(line, shell=True, cwd=tmp_path, env={"PYTHONPATH": str(ROOT)}, capture_output=True)
        assert done.returncode == 0, done.stderr.decode()
    merged = json.loads((tmp_path / "reports" / "matrix.json").read_text())
    assert merged == merge([tmp_path / download / f"matrix-shard-{n}" / RESULTS_DIR for n in range(1, count + 1)])
    assert sum(len(kinds) for kinds in merged["engines"]["sqlite"].values()) == len(cells)
    runs = load_runs(tmp_path / "reports")  # make report RUNS=all merges them
    assert [len(list(run.results.glob("*-result.json"))) for run in runs] == [1] * count
