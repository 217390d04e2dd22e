"""Drift baselines: looked up by the base release, every entry with a reason, a missing one reported as such."""

from pathlib import Path

import pytest

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.judging.problems import Problem
from upgrade_suite.judging.schema import (
    BASELINES,
    DIFFERS,
    DRIFT_GONE,
    Baseline,
    DriftEntry,
    SchemaDiff,
    format_baseline,
    judge,
    read_baseline,
)

RC1_TO_GA = BASELINES / "schema-drift-1.0.0rc1-to-1.0.0-sqlite.txt"


def declared_lines(path: Path) -> list[str]:
    return [entry.line for entry in read_baseline(path)]


def parity(lines: list[str]) -> SchemaDiff:
    """A schema diff of these difference lines (the object key is what precedes the first colon)."""
    return SchemaDiff("parity", [Problem(DIFFERS, (line.split(":")[0],), line) for line in lines])


def test_every_shipped_baseline_gives_each_entry_a_reason():
    files = sorted(BASELINES.glob("schema-drift-*.txt"))
    assert len(files) == 4
    for file in files:
        entries = read_baseline(file)
        assert entries and all(entry.reason for entry in entries), file.name


def test_a_local_build_is_judged_by_its_base_release_baseline():
    baseline = Baseline("1.0.0rc1", "1.0.0+local", "sqlite")
    assert baseline.path == RC1_TO_GA
    assert baseline.why == "1.0.0+local judged as 1.0.0"
    extra = "column tools.name: migrated VARCHAR | fresh VARCHAR(255)"
    verdict = judge(parity([*declared_lines(RC1_TO_GA), extra]), baseline)
    assert verdict.problems() == [f"new: {extra}"]  # only what the build changed shows
    assert RC1_TO_GA.name in verdict.title and "(1.0.0+local judged as 1.0.0)" in verdict.title
    assert verdict.title.endswith("1 new, 0 no longer seen")


def test_both_ends_local():
    baseline = Baseline("1.0.0rc1+ci.3", "1.0.0+local", "postgresql")
    assert baseline.path == BASELINES / "schema-drift-1.0.0rc1-to-1.0.0-postgresql.txt"
    assert baseline.why == "1.0.0rc1+ci.3 judged as 1.0.0rc1, 1.0.0+local judged as 1.0.0"
    assert judge(parity(declared_lines(baseline.path)), baseline).ok


def test_a_release_pair_is_looked_up_as_itself():
    baseline = Baseline("1.0.0rc1", "1.0.0", "sqlite")
    assert (baseline.path, baseline.why) == (RC1_TO_GA, "")


def test_a_pair_without_baseline_reports_every_difference():
    lines = [
        "index a(b): only in the migrated database (non-unique)",
        "column a.b: migrated VARCHAR | fresh VARCHAR(20)",
    ]
    verdict = judge(parity(lines), Baseline("1.0.0", "1.1.0", "sqlite"))
    assert not verdict.ok
    assert verdict.title == (
        "no declared drift baseline for 1.0.0 → 1.1.0 on sqlite: all 2 differences are reported; "
        "after review, record them with `make baseline FROM=1.0.0 TO=1.1.0 DB=sqlite`"
    )
    assert [(p.kind, p.keys) for p in verdict.findings()] == [
        (DIFFERS, (line.split(":")[0],)) for line in sorted(lines)
    ]
    assert verdict.problems() == [f"missing-baseline: {line}" for line in sorted(lines)]
    assert verdict.render().splitlines()[0] == verdict.title


def test_a_pair_without_baseline_and_without_drift_is_fine():
    verdict = judge(parity([]), Baseline("1.0.0", "1.0.0+local", "sqlite"))
    assert verdict.ok and "none needed" in verdict.title


def test_new_and_gone_are_both_findings(tmp_path: Path):
    baseline = Baseline("1.0.0", "1.1.0", "sqlite", tmp_path)
    baseline.path.write_text(
        format_baseline([DriftEntry("old drift", "accepted in review"), DriftEntry("kept", "accepted")], ["header"])
    )
    verdict = judge(parity(["kept", "fresh drift"]), baseline)
    assert [(p.kind, p.keys, p.text) for p in verdict.findings()] == [
        (DIFFERS, ("fresh drift",), "new: fresh drift"),
        (DRIFT_GONE, ("old drift",), "gone: old drift"),
    ]
    assert [entry.line for entry in verdict.known] == ["kept"]
    assert "FORCE=1" in verdict.title
    assert "known  kept  # reason: accepted" in verdict.render()


@pytest.mark.parametrize(
    "bad",
    ["column a.b: migrated X | fresh Y", "column a.b: migrated X | fresh Y  # reason:   ", "column a.b  # note: later"],
)
def test_an_entry_without_reason_is_refused_naming_file_and_line(tmp_path: Path, bad: str):
    baseline = Baseline("1.0.0", "1.1.0", "sqlite", tmp_path)
    baseline.path.write_text(f"# header\n\nkept  # reason: fine\n{bad}\n")
    with pytest.raises(SuiteError) as error:
        judge(parity(["kept"]), baseline)
    message = str(error.value)
    assert message.startswith(f"{baseline.path}:4: a baseline entry without a reason") and "\n" not in message


def test_the_written_format_round_trips_through_judge(tmp_path: Path):
    lines = [
        "column a.b: migrated TIMESTAMP NOT NULL DEFAULT now() | fresh TIMESTAMP NOT NULL",
        "index t(x): only in a fresh install (unique)",
    ]
    baseline = Baseline("1.0.0", "1.1.0", "postgresql", tmp_path)
    text = format_baseline(
        [DriftEntry(line, "1.1.0's migration adds defaults") for line in lines],
        ["Recorded by make baseline", "second line"],
    )
    assert text.startswith("# Recorded by make baseline\n# second line\n")
    baseline.path.write_text(text)
    assert read_baseline(baseline.path) == sorted(
        (DriftEntry(line, "1.1.0's migration adds defaults") for line in lines), key=lambda e: e.line
    )
    assert judge(parity(lines), baseline).ok


@pytest.mark.parametrize(
    "entry", [DriftEntry("x", ""), DriftEntry("x", "two\nlines"), DriftEntry("x  # reason: y", "z")]
)
def test_the_writer_refuses_entries_it_could_not_read_back(entry: DriftEntry):
    with pytest.raises(SuiteError):
        format_baseline([entry], [])
