"""Drift: a schema diff judged by its consequences against the lines a person accepted, each for its own reason."""

from pathlib import Path

import pytest

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.judging.drift import Traces, judge
from upgrade_suite.judging.evidence import CheckFailed
from upgrade_suite.judging.model_facts import ModelFacts
from upgrade_suite.judging.schema import (
    BASELINES,
    DRIFT_GONE,
    Baseline,
    DriftEntry,
    SchemaDiff,
    compare,
    format_baseline,
    read_baseline,
)
from upgrade_suite.judging.triage import BEHAVES, triage

#: One line of each weight: a NOT NULL only a fresh install has (behaves differently), a VARCHAR length on SQLite
#: (no effect here), an index only a fresh install has (slower).
FRESH = {"column a.b": "VARCHAR(20) NOT NULL", "column a.c": "VARCHAR(20)", "index a(c)": "non-unique"}
MIGRATED = {"column a.b": "VARCHAR(20)", "column a.c": "VARCHAR"}
BEHAVING = "column a.b: migrated VARCHAR(20) | fresh VARCHAR(20) NOT NULL"


def parity(migrated: dict[str, str] = MIGRATED, fresh: dict[str, str] = FRESH) -> SchemaDiff:
    return compare({"table a": "present", **migrated}, {"table a": "present", **fresh}, "parity")


def accepted(tmp_path: Path, *entries: DriftEntry) -> Baseline:
    baseline = Baseline("1.0.0", "1.1.0", "sqlite", tmp_path)
    baseline.path.write_text(format_baseline(list(entries), ["header"]))
    return baseline


def test_every_shipped_baseline_gives_each_entry_a_reason_of_its_own():
    for file in sorted(BASELINES.glob("schema-drift-*.txt")):
        entries = read_baseline(file)  # refuses a missing or shared reason
        assert entries and len({entry.reason for entry in entries}) == len(entries), file.name


def test_only_what_behaves_differently_or_breaks_is_red():
    verdict = judge(parity(), Baseline("1.0.0", "1.1.0", "sqlite", Path("/nowhere")))
    assert [(p.kind, p.keys) for p in verdict.findings()] == [(BEHAVES, ("column a.b",))]
    assert verdict.problems()[0].startswith(f"behaves differently: {BEHAVING} (a NULL a.b is stored on the upgraded")
    assert "3 difference(s): 1 behaves differently, 1 slower, 1 no effect here" in verdict.title
    assert "no baseline accepts any (1 to judge); after probing each, accept it with `make baseline" in verdict.title
    assert "  slower: 1" in verdict.render().splitlines() and "  no effect here: 1" in verdict.render().splitlines()


def test_differences_without_effect_need_no_baseline():
    verdict = judge(
        parity({"column a.b": "VARCHAR(20) NOT NULL", "column a.c": "VARCHAR"}), Baseline("1", "2", "sqlite")
    )
    assert verdict.ok and "none breaks or behaves differently" in verdict.title


def test_no_difference_at_all():
    verdict = judge(parity(FRESH), Baseline("1.0.0", "1.0.0+local", "sqlite"))
    assert verdict.ok and verdict.title.endswith("the upgraded schema matches a fresh install")


def test_an_accepted_line_is_known_and_a_gone_one_is_red(tmp_path: Path):
    baseline = accepted(
        tmp_path, DriftEntry(BEHAVING, "probed: no release writes a NULL b"), DriftEntry("old drift", "was probed")
    )
    verdict = judge(parity(), baseline)
    assert [(p.kind, p.keys, p.text) for p in verdict.findings()] == [(DRIFT_GONE, ("old drift",), "gone: old drift")]
    assert [entry.line for entry in verdict.known] == [BEHAVING]
    assert "1 accepted, 0 not accepted, 1 accepted but no longer seen (drop those entries" in verdict.title
    assert f"  accepted  {BEHAVING}  # reason: probed: no release writes a NULL b" in verdict.render()


def test_an_accepted_line_that_no_longer_matters_is_shown_for_dropping(tmp_path: Path):
    line = "column a.c: migrated VARCHAR | fresh VARCHAR(20)"
    verdict = judge(parity(), accepted(tmp_path, DriftEntry(BEHAVING, "one"), DriftEntry(line, "two")))
    assert verdict.ok and f"  accepted, now no effect here  {line}" in verdict.render()


def test_a_local_build_is_judged_by_its_base_release_baseline(tmp_path: Path):
    baseline = accepted(tmp_path, DriftEntry(BEHAVING, "probed"))
    local = Baseline("1.0.0", "1.1.0+local", "sqlite", tmp_path)
    assert local.path == baseline.path and local.why == "1.1.0+local judged as 1.1.0"
    verdict = judge(parity(), local)
    assert verdict.ok and "(1.1.0+local judged as 1.1.0)" in verdict.title


@pytest.mark.parametrize(
    "bad",
    ["column a.b: migrated X | fresh Y", "column a.b: migrated X | fresh Y  # reason:   ", "column a.b  # note: later"],
)
def test_an_entry_without_reason_is_refused_naming_file_and_line(tmp_path: Path, bad: str):
    baseline = Baseline("1.0.0", "1.1.0", "sqlite", tmp_path)
    baseline.path.write_text(f"# header\n\nkept  # reason: fine\n{bad}\n")
    with pytest.raises(SuiteError) as error:
        judge(parity(), baseline)
    message = str(error.value)
    assert message.startswith(f"{baseline.path}:4: a baseline entry without a reason") and "\n" not in message


def test_one_reason_stamped_over_several_lines_is_refused(tmp_path: Path):
    baseline = Baseline("1.0.0", "1.1.0", "sqlite", tmp_path)
    baseline.path.write_text("# header\nfirst  # reason: cosmetic\nsecond  # reason: cosmetic\n")
    with pytest.raises(SuiteError, match=r":3: the same reason as line 2: each accepted difference needs a reason"):
        read_baseline(baseline.path)
    with pytest.raises(SuiteError, match="one reason given to 2 differences"):
        format_baseline([DriftEntry("first", "cosmetic"), DriftEntry("second", "cosmetic")], [])


def test_the_written_format_round_trips():
    entries = [DriftEntry("b: migrated X | fresh Y", "second"), DriftEntry("a: migrated X | fresh Y", "first")]
    text = format_baseline(entries, ["Recorded by make baseline", "second line"])
    assert text.startswith("# Recorded by make baseline\n# second line\na: ")


@pytest.mark.parametrize(
    "entry", [DriftEntry("x", ""), DriftEntry("x", "two\nlines"), DriftEntry("x  # reason: y", "z")]
)
def test_the_writer_refuses_entries_it_could_not_read_back(entry: DriftEntry):
    with pytest.raises(SuiteError):
        format_baseline([entry], [])


def test_a_downgrades_traces_are_judged_for_the_old_release_in_its_words():
    # a column the downgrade left behind: NOT NULL without a default breaks the old release's inserts
    left = {"table a": "present", "column a.b": "VARCHAR(20)", "column a.new": "VARCHAR NOT NULL"}
    before = {"table a": "present", "column a.b": "VARCHAR(20)"}
    names = ("the downgraded database", "the database before the upgrade")
    old = ModelFacts({"a": {"columns": {"b": {"nullable": True, "python_default": False}}}})  # maps a.b, not a.new
    traces = Traces("RC1 (1.0.0rc1)", triage(compare(left, before, "t"), "sqlite", old, names=names))
    assert [(p.kind, p.keys) for p in traces.findings()] == [("breaks", ("column a.new",))]
    assert "which the downgraded database refuses: NOT NULL and no default" in traces.problems()[0]
    assert traces.title == "RC1 (1.0.0rc1) finds 1 trace(s) of the upgrade and downgrade in its schema: 1 breaks"
    harmless = {**left, "column a.new": "VARCHAR"}  # nullable: inserts without it succeed
    assert Traces("RC1", triage(compare(harmless, before, "t"), "sqlite", old, names=names)).ok
    assert Traces("RC1", triage(compare(before, before, "t"), "sqlite")).title == (
        "RC1 finds its schema exactly as before the upgrade"
    )


def test_a_failed_schema_check_is_headed_by_its_worst_consequence_not_by_a_count() -> None:
    """A matrix cell's tooltip: what a user meets (the missing table breaks), then how many more, where the check's
    title would say "3 difference(s)"."""
    found = parity({**MIGRATED}, {**FRESH, "table z": "present"})
    verdict = judge(found, Baseline("9.0.0", "9.1.0", "sqlite"), triage(found, "sqlite"))
    failed = CheckFailed(verdict.title, verdict.findings(), verdict.problems())
    assert failed.headline().startswith("breaks: table z: only in a fresh install")
    assert failed.headline().endswith("(and 1 more)")
    assert "difference(s)" in failed.title and "difference(s)" not in failed.headline()
