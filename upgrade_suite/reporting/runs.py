"""Each behave run's results kept apart, and a report made from the runs a person chooses.

Allure takes the newest result of a test as its outcome. When every run wrote into one results directory, a
later listing (``behave --dry-run``) or a second selection (``make upgrade TAGS=@postgres``) wrote "skipped"
results that buried the executed ones: the report a release manager signs said nothing ran. So a run writes
only what it executed (``allure_plan.RunResults``) into ``reports/runs/<id>/allure-results`` and describes itself
in ``run.json`` beside it: when, what was selected, which release each alias resolved to, every scenario's
verdict. ``make report`` merges the chosen runs (the last by default, ``RUNS=<id>,<id>`` or ``RUNS=all``) into
one results directory, taking each scenario's executed result, the newest first.

A scenario's title names the versions it ran (``RC1 to GA ... [1.0.0b2 -> 1.0.0rc1]``) and its Allure history id
includes them, so two runs that resolved ``latest`` differently show two scenarios, never one verdict; the
report's first page lists the runs and says which alias they resolved differently.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from upgrade_suite.base.errors import SuiteError

RUNS = "runs"
RESULTS = "allure-results"
RECORD = "run.json"


def titled(name: str, versions: Sequence[str], named_by_alias: bool) -> str:
    """A scenario's title with the versions it ran, in the order the scenario names them.

    Only when an alias named them: a matrix cell's title already reads ``1.0.10 to 1.1.0``.
    """
    return f"{name} [{' -> '.join(versions)}]" if versions and named_by_alias else name


def versioned_history_id(history_id: str, versions: Sequence[str]) -> str:
    """Allure's history id of a scenario, made distinct per set of versions (a retry is the same code only)."""
    return hashlib.md5("\0".join([history_id, *versions]).encode()).hexdigest()


@dataclass
class RunRecord:
    """One behave run: its directory under reports/runs and what ``run.json`` says of it."""

    id: str
    directory: Path
    started: str
    selection: str
    finished: str = ""
    aborted: bool = False
    releases: dict[str, str] = field(default_factory=dict)  # alias -> version, of the scenarios that ran
    scenarios: list[dict[str, Any]] = field(default_factory=list)  # scenario (its title), verdict, releases

    @property
    def results(self) -> Path:
        return self.directory / RESULTS

    @classmethod
    def start(cls, reports: Path, selection: str) -> RunRecord:
        """A new run directory; its id sorts by start time, and the pid and a random part keep apart runs started
        in the same second (CI's shards start together on machines alike, and their runs are gathered in one place)."""
        now = datetime.now()
        run_id = f"{now:%Y%m%d-%H%M%S}-{os.getpid()}-{secrets.token_hex(2)}"
        record = cls(run_id, reports / RUNS / run_id, now.isoformat(sep=" ", timespec="microseconds"), selection)
        record.results.mkdir(parents=True)
        return record

    def finish(self, scenarios: list[dict[str, Any]], aborted: bool) -> None:
        """Write ``run.json``; a run that executed nothing leaves no directory (a report of it would be empty)."""
        if not scenarios and not any(self.results.glob("*-result.json")):
            shutil.rmtree(self.directory, ignore_errors=True)
            return
        self.finished = datetime.now().isoformat(sep=" ", timespec="seconds")
        self.aborted = aborted
        self.scenarios = scenarios
        self.releases = dict(sorted({a: v for s in scenarios for a, v in s.get("releases", {}).items()}.items()))
        data = {key: value for key, value in asdict(self).items() if key != "directory"}
        (self.directory / RECORD).write_text(json.dumps(data, indent=2) + "\n")

    @classmethod
    def combine(cls, reports: Path, parts: Sequence[RunRecord], selection: str, leave_out: str = "") -> RunRecord:
        """One run made of several (the shards of ``make matrix JOBS=N``): their results, but no file whose name
        starts with ``leave_out`` (a shard's part of a page the whole run files anew), and their verdicts."""
        run = cls.start(reports, selection)
        for part in parts:
            for path in part.results.iterdir():
                if path.is_file() and not (leave_out and path.name.startswith(leave_out)):
                    shutil.copyfile(path, run.results / path.name)
        run.finish([s for part in parts for s in part.scenarios], aborted=any(part.aborted for part in parts))
        return run

    @classmethod
    def load(cls, directory: Path) -> RunRecord:
        data = json.loads((directory / RECORD).read_text())
        return cls(directory=directory, **data)

    def describe(self) -> str:
        """One line for the report's first page: when, what was selected, the releases, the verdicts."""
        counts: dict[str, int] = {}
        for scenario in self.scenarios:
            counts[scenario["verdict"]] = counts.get(scenario["verdict"], 0) + 1
        verdicts = ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items()))
        releases = ", ".join(f"{alias}={version}" for alias, version in self.releases.items())
        aborted = " (aborted)" if self.aborted else ""
        selection = self.selection or "default selection"
        return f"{self.started[:19]} to {self.finished}{aborted}; {selection}; {releases}; {verdicts}"


def load_runs(reports: Path) -> list[RunRecord]:
    """Every finished run under reports/runs, oldest first (a run still going, or killed, has no run.json)."""
    root = reports / RUNS
    directories = [path for path in root.iterdir() if (path / RECORD).is_file()] if root.is_dir() else []
    return sorted((RunRecord.load(directory) for directory in directories), key=lambda run: (run.started, run.id))


def choose(runs: list[RunRecord], wanted: str) -> list[RunRecord]:
    """``last`` (the default), ``all``, or run ids separated by commas; anything else stops in one line."""
    if not runs:
        raise SuiteError("no finished run in reports/runs: run the features first (make upgrade)")
    wanted = wanted.strip() or "last"
    if wanted == "last":
        return runs[-1:]
    if wanted == "all":
        return runs
    by_id = {run.id: run for run in runs}
    ids = [part.strip() for part in wanted.split(",") if part.strip()]
    unknown = [run_id for run_id in ids if run_id not in by_id]
    if unknown:
        raise SuiteError(f"RUNS={wanted}: no run {', '.join(unknown)}; the runs are {', '.join(by_id)}, or all, last")
    return [run for run in runs if run.id in ids]


def resolved_apart(runs: Iterable[RunRecord]) -> dict[str, dict[str, list[str]]]:
    """Aliases the chosen runs resolved to different versions: alias -> version -> the runs that ran it."""
    seen: dict[str, dict[str, list[str]]] = {}
    for run in runs:
        for alias, version in run.releases.items():
            seen.setdefault(alias, {}).setdefault(version, []).append(run.id)
    return {alias: versions for alias, versions in seen.items() if len(versions) > 1}


def _sources(item: dict[str, Any]) -> Iterator[str]:
    """Every attachment file a result (or a container) names, its steps' too."""
    for attachment in item.get("attachments", []):
        yield attachment["source"]
    for key in ("steps", "befores", "afters"):
        for child in item.get(key, []):
            yield from _sources(child)


def _takes_over(new: str, earlier: str | None) -> bool:
    """Whether a later result of a scenario replaces an earlier one: executed beats skipped, else the newest."""
    return earlier is None or new != "skipped" or earlier == "skipped"


def _copy_with_attachments(path: Path, item: dict[str, Any], into: Path) -> None:
    """A result, container or globals file and every attachment file it names, from its run into ``into``."""
    shutil.copyfile(path, into / path.name)
    for source in _sources(item):
        if (path.parent / source).is_file():
            shutil.copyfile(path.parent / source, into / source)


def merge(runs: Sequence[RunRecord], into: Path) -> int:
    """One results directory from ``runs`` (oldest first): per scenario (history id) the newest executed result,
    else the newest skipped one, with the attachments and containers they name; returns how many results.

    ``into`` is rebuilt: what an earlier report merged is not this one's.
    """
    chosen: dict[str, tuple[Path, dict[str, Any]]] = {}
    for run in runs:
        for path in sorted(run.results.glob("*-result.json")):
            result = json.loads(path.read_text())
            key = result.get("historyId") or result["name"]
            earlier = chosen.get(key)
            if _takes_over(result["status"], earlier[1]["status"] if earlier else None):
                chosen[key] = (path, result)
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    for path, result in chosen.values():
        _copy_with_attachments(path, result, into)
    uuids = {result["uuid"] for _, result in chosen.values()}
    for run in runs:
        for path in run.results.glob("*-container.json"):
            container = json.loads(path.read_text())
            if uuids & set(container.get("children", [])):
                _copy_with_attachments(path, container, into)
        for path in run.results.glob("*-globals.json"):  # the run's evidence about itself (the matrix page)
            _copy_with_attachments(path, json.loads(path.read_text()), into)
    return len(chosen)


def judged(runs: Iterable[RunRecord]) -> dict[str, str]:
    """Each scenario title the chosen runs judged -> its verdict, the newest executed one (as ``merge`` takes it)."""
    verdicts: dict[str, str] = {}
    for run in runs:
        for scenario in run.scenarios:
            if _takes_over(scenario["verdict"], verdicts.get(scenario["scenario"])):
                verdicts[scenario["scenario"]] = scenario["verdict"]
    return verdicts
