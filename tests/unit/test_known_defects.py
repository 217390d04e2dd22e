"""Known defects pinned by their signature: exactly the declared problems is a known defect, anything else is not.

The "tampered results" of a known-defect scenario are built here from the real declarations (one
problem added, one taken away), cheaper and more exact than rerunning a gateway with a doctored file.
"""

import io

from rich.console import Console

from upgrade_suite.judging.declarations import DEFECTS, declared_for
from upgrade_suite.judging.evidence import CheckFailed
from upgrade_suite.judging.known_defects import FIXED, KNOWN, NEW, KnownDefect, judge, reported
from upgrade_suite.judging.problems import Problem
from upgrade_suite.judging.schema import MIGRATED_ONLY
from upgrade_suite.reporting.gate import decide
from upgrade_suite.reporting.summary import RunSummary, verdict

UPG01 = ["UPG-01", "US-1", "populated", "sqlite", "current", "product-defect"]
PARITY = ["UPG-01", "schema-parity", "sqlite", "product-defect"]
METADATA = Problem("new table missing", ("migration_metadata",), "new table migration_metadata present: missing: [...]")


def ga_to_latest() -> list[KnownDefect]:
    return declared_for(UPG01, "sqlite", "1.0.0", "1.1.0")


def as_seen(defects: list[KnownDefect]) -> list[Problem]:
    """What a run that reproduced every declared problem reported (texts differ from the declaration's)."""
    return [Problem(p.kind, p.keys, f"reworded: {p.signature}") for d in defects for p in d.problems]


def test_each_declaration_is_complete():
    for defect in DEFECTS:
        assert defect.problems and defect.reason and defect.link.startswith("https://"), defect.name
        assert defect.scenarios and defect.engines and defect.old and defect.new, defect.name
    assert len({d.name for d in DEFECTS}) == len(DEFECTS)


def test_the_upgrade_to_latest_is_declared_by_pair_engine_and_scenario():
    assert sorted(d.name for d in ga_to_latest()) == [
        "1.0.0-to-1.1.0-schema-consequences-sqlite",
        "ga-to-1.1.0-no-migration-metadata",
    ]
    assert [d.name for d in declared_for(PARITY, "sqlite", "1.0.0", "1.1.0")] == ["ga-to-1.1.0-schema-drift-sqlite"]
    assert declared_for(UPG01, "sqlite", "1.0.0", "1.1.1") == []  # tomorrow's latest is nobody's known defect
    assert [d.name for d in declared_for(PARITY, "sqlite", "1.0.0rc1", "1.0.0+local")] == [
        "rc1-to-ga-schema-not-fresh-sqlite"
    ]
    drift = ["hazard", "killed-migration", "postgresql", "product-defect"]
    assert [d.name for d in declared_for(drift, "postgresql", "1.0.0rc1", "1.0.0")] == [
        "1.0.0rc1-to-1.0.0-schema-consequences-postgresql"
    ]


def test_exactly_the_declared_problems_is_a_known_defect_however_worded():
    judgement = judge(as_seen(ga_to_latest()), ga_to_latest())
    assert judgement.verdict == KNOWN and not judgement.new and not judgement.missing


def test_one_extra_problem_is_a_new_failure_and_named():
    extra = Problem("row lost", ("sql", "tools", "id=t1"), "sql: tools row [id=t1] was lost")
    judgement = judge([*as_seen(ga_to_latest()), extra], ga_to_latest())
    assert judgement.verdict == NEW and judgement.new == [extra]
    assert "NEW      sql: tools row [id=t1] was lost" in judgement.render()
    assert "declare as: row lost | sql | tools | id=t1" in judgement.render()  # what a person copies to declare it


def test_a_declared_problem_missing_reads_fixed():
    seen = [p for p in as_seen(ga_to_latest()) if p != METADATA]
    judgement = judge(seen, ga_to_latest())
    assert judgement.verdict == FIXED and judgement.missing == [METADATA]
    assert judgement.shown() == ["1.0.0-to-1.1.0-schema-consequences-sqlite"]
    assert "MISSING  new table missing | migration_metadata" in judgement.render()


def test_a_new_problem_outranks_a_missing_one():
    seen = [Problem(MIGRATED_ONLY, ("index t(c)",))]
    assert judge(seen, ga_to_latest()).verdict == NEW


def test_an_intermittent_defect_may_be_absent_but_nothing_else_may_appear():
    flaky = KnownDefect(
        "deadlock",
        "r",
        "https://x",
        (frozenset({"rolling"}),),
        ("postgresql",),
        "1",
        "2",
        (Problem("write failed", ("create",)), Problem("step failed", ("roll",))),
        intermittent=True,
    )
    assert judge([], [flaky]).verdict == "passed" and judge([], [flaky]).missing == []  # absent: not "fixed?"
    assert judge([Problem("write failed", ("create",))], [flaky]).verdict == KNOWN
    assert judge([Problem("write failed", ("read",))], [flaky]).verdict == NEW


def test_a_tagged_scenario_nothing_declares_is_judged_like_any_other():
    """Another release pair (``-D rc1=1.0.7 -D ga=1.0.8`` over @configuration): red is new, green passes, never the
    false alarm "fixed?" that failed the gate."""
    assert judge([METADATA], []).verdict == NEW
    assert judge([], []).verdict == "passed"


def test_failed_steps_report_their_checks_problems_or_themselves():
    failures = [
        ("new features should be available", CheckFailed("New features", [METADATA], [METADATA.text])),
        ("I perform the upgrade", AssertionError("alembic upgrade head failed with exit 1")),
    ]
    assert reported(failures) == [METADATA, Problem("step failed", ("I perform the upgrade",))]


def test_the_verdict_of_a_judged_scenario_is_the_judgement_unless_the_suite_broke():
    judged = judge(as_seen(ga_to_latest()), ga_to_latest())
    assert verdict("failed", AssertionError("x"), UPG01, judged) == KNOWN
    assert verdict("failed", KeyError("x"), UPG01, judged) == "broken"
    assert verdict("passed", None, UPG01, judge([], ga_to_latest())) == FIXED


def run(*verdicts: dict[str, str], aborted: bool = False) -> dict:
    """What a run writes for the gate."""
    return {"aborted": aborted, "scenarios": list(verdicts)}


def test_the_gate_passes_known_defects_and_fails_new_failures_and_fixed():
    known = {"scenario": "GA to latest", "verdict": KNOWN, "judgement": "..."}
    passed = {"scenario": "RC1 to GA", "verdict": "passed", "judgement": ""}
    assert decide(1, run(known, passed))[0] == 0  # behave is red, the gate is not
    code, reason = decide(1, run(passed, {**known, "verdict": NEW}))
    assert code == 1 and "new failure: GA to latest" in reason
    assert decide(0, run(passed, {**known, "verdict": FIXED}))[0] == 1  # green in behave, and still not a pass
    assert decide(2, None)[0] == 2 and decide(0, None)[0] == 1  # no verdicts: never a pass
    assert decide(1, run(passed))[0] == 1  # behave failed and no scenario says why
    assert decide(0, run())[0] == 1
    assert decide(1, run(known, passed, aborted=True))[0] == 1  # Ctrl-C after a known defect: not a pass


def test_the_summary_names_what_fails_the_gate():
    summary = RunSummary()
    summary.add(UPG01, NEW, 3.0, "GA to latest", "new failure: 1 problem(s) seen\n  NEW      sql: tools row [id=t1]")
    summary.add(PARITY, KNOWN, 1.0, "RC1 exactly", "known defect: 34 problem(s) seen, 0 new, 0 missing")
    out = io.StringIO()
    summary.print(Console(file=out, width=200, color_system=None))
    text = out.getvalue()
    assert not summary.gate_passes
    assert text.index("new failure: GA to latest") < text.index("known defect: RC1 exactly")
    assert "NEW      sql: tools row [id=t1]" in text


def test_1_1_0_throttling_is_known_in_either_measured_form_and_a_5xx_beside_it_is_new():
    """Reads throttled, or reads and /health throttled (a longer roll): the known defect; a 503 among them is not."""
    rolling = declared_for(
        ["UPG-06", "rolling", "upgrade", "postgres", "current", "product-defect"], "postgresql", "1.0.0", "1.1.0"
    )
    assert [d.name for d in rolling] == ["1.1.0-rate-limits-a-rolling-upgrades-reads"]

    def seen(*forms: str) -> list[Problem]:
        return [Problem("requests failed", ("No request dropped during the rollout", form)) for form in forms]

    assert judge(seen("read -> 429"), rolling).verdict == KNOWN
    assert judge(seen("health -> 429", "read -> 429"), rolling).verdict == KNOWN
    assert judge(seen("read -> 429", "read -> 503"), rolling).verdict == NEW
