"""The suite run as a user runs it, against the real releases: the gate is green, nothing is left behind."""

import json
from pathlib import Path

import pytest

from conftest import ROOT, results_of, run_behave, run_behave_parallel

pytestmark = pytest.mark.integration


#: The declarations each database's known-defect scenarios are judged by, one scenario each (declarations.py).
#: The schema consequences no baseline accepts are red wherever the drift is judged: RC1 -> GA's in UPG-01's two
#: procedures and the killed migrating replica (2 and 3 replicas), 0.9.0 -> GA's in UPG-05.
KNOWN_DEFECTS = {
    engine: sorted(
        [
            ["ga-downgrade-strips-team-admin-token-rights"],
            ["ga-refuses-rc1-default-token-expiry"],
            ["rc1-on-ga-database-reports-healthy"],
            [f"rc1-to-ga-schema-not-fresh-{name}"],
            [f"0.9.0-to-1.0.0-schema-consequences-{name}"],
            *[[f"1.0.0rc1-to-1.0.0-schema-consequences-{name}"]] * 4,
            *extra,
        ]
    )
    for engine, name, extra in (
        # RC1's TOKEN_EXPIRY is refused in production mode too (the @production carry-over, SQLite only)
        ("sqlite", "sqlite", [["rc1-to-ga-retry-inside-revision-sqlite"], ["ga-refuses-rc1-default-token-expiry"]]),
        ("postgres", "postgresql", [["0.9-to-ga-direct-and-through-rc1-disagree-postgresql"]]),
    )
}
#: Declared intermittent (declarations.py): a run may show it (a known defect) or not (passed), nothing else.
INTERMITTENT = {"sqlite": [], "postgres": [["rc1-to-ga-migration-deadlocks-with-rc1-prompt-writes"]]}
#: What a reader sees of the known defects is still their reason, in words (the gate matches their structure).
REASONS = {
    "sqlite": [
        "d2b501bf4262: SIGKILL inside revision d2b501bf4262, after its first change",  # a retried revision skips
        "index a2a_agents(uaid): only in the migrated database (unique)",  # its unique index
    ],
    "postgres": ["original_name: 'upgrade_prompt_1' -> 'upgrade-prompt-1'"],  # the two paths from 0.9 disagree
}
BOTH_REASONS = [
    "index tool_metrics(tool_id, timestamp): only in the migrated database",  # GA's migrations miss GA's schema
    'permissions: list lost ["tokens.create", "tokens.read", "tokens.revoke", "tokens.update"]',  # GA's downgrade
    # RC1 on GA's schema says so only in its log
    "it started and reported healthy; its log: ERROR [mcpgateway.bootstrap_db] Migration/Bootstrap failed: Can't "
    "locate revision",
    # GA refuses RC1's own default TOKEN_EXPIRY
    "it refused to run (exited); its log ends: token_expiry | Input should be less than or equal to 1440",
]


#: Each database's scenarios in two runs at once, four in all: the interrupted-upgrade cases (UPG-07: dozens of
#: Alembic runs killed and retried) apart from the rest. Two runs left a sixth of the two cores idle (measured:
#: 1.66 cores busy over 750 s); the split evens the runs out.
PARTS = {"UPG-07": "@UPG-07", "rest": "not @UPG-07"}


@pytest.mark.timeout(1500)  # 507 s measured on this 2-core machine; the runs themselves are bounded at 1400 s
def test_the_gate_passes_on_both_databases_with_every_known_defect_exactly_as_declared(workdir: Path, no_leftovers):
    """Every feature, SQLite and embedded PostgreSQL (four runs at once) through the gate, as ``make upgrade`` judges.

    The known defects run too: red in behave and in the report, each exactly its declared problems. Left out: the
    negative controls (red by design, tested on their own), today's releases (test_current.py) and the consequence
    probes (two more gateway starts each on copies; make upgrade runs them, CI's time does not hold them), and the
    @kubernetes scenarios (skipped without a cluster: test_node_rollout.py runs them on the suite's node), and the
    database faults (test_fault_scenarios.py, extended: dozens of migrations cut and retried). The rolling
    writes' deadlock is intermittent: its scenario passes or is that known defect.
    """
    selected = {
        (engine, part): (
            str(ROOT / "features"),
            f"--tags=@{engine} and {tags} and not @negative-control and not @current and not @consequence and not "
            "@kubernetes and not @fault",
        )
        for engine in KNOWN_DEFECTS
        for part, tags in PARTS.items()
    }
    runs = dict(
        zip(
            selected,
            run_behave_parallel(
                {workdir / "-".join(key): args for key, args in selected.items()}, timeout=1400, gate=True
            ),
        )
    )
    results = []
    for engine, known in KNOWN_DEFECTS.items():
        verdicts: dict[str, tuple[str, list[str]]] = {}
        output = ""
        for part in PARTS:
            run = runs[engine, part]
            assert run.returncode == 0, run.failures()
            assert "gate: passed" in run.output, run.failures()
            verdicts |= run.verdicts()
            output += run.output
            kept = [path for path in run.reports.glob("work/*/*") if path.is_dir() and path.name != "fixtures"]
            red = [title for title, (verdict, _) in run.verdicts("title").items() if verdict == "known defect"]
            assert len(kept) == len(red), f"a sandbox is kept for each red scenario, none for a green one: {kept}"
            ran = [json.loads(p.read_text()) for p in run.results.glob("*-result.json")]
            assert ran and all(r["status"] == "passed" or r["name"] in red for r in ran), run.verdicts()
            results += ran
        shown = [d for verdict, d in verdicts.values() if verdict == "known defect"]
        assert sorted(d for d in shown if d not in INTERMITTENT[engine]) == known, verdicts
        assert all(reason in output for reason in REASONS[engine] + BOTH_REASONS), output[-3000:]
    cases = {label["value"] for r in results for label in r["labels"] if label["name"] == "tag"}
    assert {
        "UPG-01",
        "UPG-02",
        "UPG-03",
        "UPG-04",
        "UPG-05",
        "UPG-06",
        "UPG-07",
        "US-1",
        "US-2",
        "sqlite",
        "postgres",
    } <= cases
    for result in results:
        attachments = {a["name"] for a in result.get("attachments", [])} | {
            a["name"] for s in result["steps"] for a in s.get("attachments", [])
        }
        assert {"Versions", "Phase timings"} <= attachments, (result["name"], attachments)
        if "UPG-01" in {label["value"] for label in result["labels"]} and result["status"] == "passed":
            assert {"Snapshot diff through SQL", "Snapshot diff through the API", "Services functioning"} <= attachments
        if "UPG-06" in {label["value"] for label in result["labels"]}:
            assert {
                "Probe summary",
                "Probe record (every request)",
                "Rollout timeline",
                "No request dropped",
            } <= attachments, (result["name"], attachments)
            if any("drained before they stopped" in step["name"] for step in result["steps"]):
                assert "Drain of the old replicas" in attachments, (result["name"], attachments)


def test_a_tag_selects_only_that_case_and_reports_dir_moves_all_it_writes(workdir: Path, no_leftovers):
    elsewhere = workdir.parent / "elsewhere"
    run = run_behave(
        workdir,
        str(ROOT / "features" / "upgrade.feature"),
        "--tags=@UPG-02 and @sqlite and not @current",
        "-D",
        f"reports_dir={elsewhere}",
    )
    assert run.returncode == 0, run.failures()
    records = [json.loads(line) for line in (elsewhere / "timings.jsonl").read_text().splitlines()]
    assert [("UPG-02" in r["tags"], r["status"]) for r in records] == [(True, "passed")]
    assert len(list(results_of(elsewhere).glob("*-result.json"))) == 1, "the Allure results moved too"
    assert not run.reports.exists(), f"nothing in the default place: {list(run.reports.rglob('*'))[:5]}"
