"""The runbook's timings are the measured ones (median and max per step and database)."""

from upgrade_suite.lab import phases
from upgrade_suite.reporting.runbook import chart_steps, render, steps

UPGRADE, START = phases.alembic_upgrade("GA"), phases.start("GA")


def record(
    engine: str, status: str, phases: dict[str, float], driver: str = "process", pair: tuple[str, str] = ("RC1", "GA")
) -> dict:
    return {
        "status": status,
        "verdict": status,
        "driver": driver,
        "tags": ["UPG-01", engine],
        "releases": {"RC1": "RC1 (1.0.0rc1)", "GA": "GA (1.0.0)", "latest": "latest (1.1.0)"},
        "heads": {"RC1": "x7h8i9j0k1l2", "GA": "aa1b2c3d4e5f"},
        "pair": list(pair),
        "phases": [{"phase": p, "seconds": s} for p, s in phases.items()],
    }


def test_median_and_max_per_engine_from_runs_whose_procedure_ran_through():
    known = {**record("sqlite", "failed", {UPGRADE: 3.0}), "verdict": "known defect", "procedure_passed": True}
    records = [
        record("sqlite", "passed", {UPGRADE: 1.0, START: 3.0}),
        known,  # a check found a known defect after every Given and When step passed: the procedure's own time
        record("sqlite", "passed", {UPGRADE: 2.0}),
        record("sqlite", "failed", {UPGRADE: 99.0}),
        {**record("sqlite", "failed", {UPGRADE: 98.0}), "verdict": "known defect", "procedure_passed": False},
        record("sqlite", "passed", {UPGRADE: 77.0}, driver="docker"),  # not the runbook's commands
        record("postgres", "passed", {UPGRADE: 5.0}),
    ]
    text = render(records)
    sqlite, postgres = text.split("### SQLite")[1].split("### PostgreSQL")
    assert "upgrade head` | 2.00 s | 3.00 s | 3 |" in sqlite
    assert "upgrade head` | 5.00 s | 5.00 s | 1 |" in postgres
    assert "downgrade x7h8i9j0k1l2` | - | - | 0 |" in sqlite
    assert "99.00" not in text and "77.00" not in text and "98.00" not in text


def test_no_runs_no_invented_numbers():
    assert "No measured runs yet" in render([])


def test_settings_to_review_are_listed_only_when_a_run_compared_them():
    carry = {
        "old": "RC1 (1.0.0rc1)",
        "new": "GA (1.0.0)",
        "old_count": 3,
        "new_count": 3,
        "refused": {"TOKEN_EXPIRY": "'10080' refused: too big"},
        "renamed": {"PLUGIN_CONFIG_FILE": "PLUGINS_CONFIG_FILE"},
        "dropped": ["POOL_TTL"],
        "shrank": {"MIN_SECRET_LENGTH": {"31": "Input should be greater than or equal to 32"}},
    }
    text = render([record("sqlite", "passed", {START: 3.0})], carry)
    assert (
        "| `MIN_SECRET_LENGTH` | GA (1.0.0) refuses 31 (Input should be greater than or equal to 32), which RC1 "
        "(1.0.0rc1) accepts: it does not start with such a value |"
    ) in text
    assert "| `PLUGIN_CONFIG_FILE` | renamed: set `PLUGINS_CONFIG_FILE` instead (the old name is ignored) |" in text
    assert "| `POOL_TTL` | dropped: ignored |" in text
    assert "| `TOKEN_EXPIRY` | refused by GA (1.0.0)" in text
    assert "Settings to review" not in render([record("sqlite", "passed", {START: 3.0})])


def test_each_step_is_looked_up_by_the_phase_name_the_lab_times_it_under():
    assert [step.phase for step in steps("RC1", "GA", "x7h8i9j0k1l2")] == [
        phases.stop("RC1"),
        phases.BACK_UP,
        phases.alembic_upgrade("GA"),
        phases.start("GA"),
        phases.alembic_downgrade("x7h8i9j0k1l2", "GA"),
        phases.RESTORE_BACKUP,
        phases.start("RC1"),
    ]


def test_the_helm_section_comes_from_passed_chart_runs_with_the_phases_they_timed():
    chart = {
        **record("postgres", "passed", {phases.migration_job("latest"): 4.0, phases.chart_upgrade("latest"): 40.0}),
        "tags": ["chart", "postgres", "rolling"],
        "heads": {"1.0.x": "12d4a0c7789c", "latest": "c7e91a2b4d60"},
    }
    text = render([chart])
    section = text[text.index("## Helm") :]
    assert "### 1.0.x -> latest" in section and "| 4.00 s | 4.00 s | 1 |" in section
    assert "helm upgrade mcp-stack charts/mcp-stack" in section and "downgrade 12d4a0c7789c" in section
    assert "only after step 1" in section  # helm rollback alone is the known defect
    assert "## Helm" not in render([record("postgres", "passed", {START: 3.0})])  # no chart run: no section
    assert [step.phase for step in chart_steps("1.0.x", "latest", "h")] == [
        phases.migration_job("latest"),
        phases.chart_upgrade("latest"),
        phases.alembic_downgrade("h", "latest"),
        phases.chart_rollback("1.0.x", "downgrade Job first"),
    ]


def test_a_section_per_judged_pair_today_first_and_an_unmeasured_pair_says_so():
    records = [
        record("sqlite", "passed", {UPGRADE: 2.0}),
        record("sqlite", "failed", {phases.alembic_upgrade("latest"): 9.0}, pair=("GA", "latest")),
    ]
    text = render(records)
    assert "Release pairs judged: GA -> latest, RC1 -> GA." in text
    today, plan = text.split("## GA (1.0.0) -> latest (1.1.0)")[1].split("## RC1 (1.0.0rc1) -> GA (1.0.0)")
    assert "Judged by 1 scenario runs (1 failed). No run of this pair ran its procedure through" in today
    assert "downgrade aa1b2c3d4e5f` | - | - | 0 |" in today and "9.00" not in today
    assert "upgrade head` | 2.00 s | 2.00 s | 1 |" in plan


def test_each_pair_says_what_changes_for_users_proven_apart_from_claimed():
    proven = "proven on SQLite: no difference: deleting the federated gateway 'x' deletes it"
    claimed = "claimed: the release maps migration_metadata: every read or write of it fails on the upgraded database"
    records = [
        {**record("sqlite", "passed", {UPGRADE: 2.0}), "consequences": [claimed, proven]},
        {**record("sqlite", "passed", {UPGRADE: 3.0}), "consequences": [proven]},
    ]
    section = render(records).split("## RC1 (1.0.0rc1) -> GA (1.0.0)")[1]
    assert section.count(proven) == 1 and f"- {claimed}\n- {proven}\n" in section
    assert "What changes for you" not in render([record("sqlite", "passed", {UPGRADE: 2.0})])


def test_each_fault_met_gets_what_to_do_and_the_measured_failure_and_retry():
    from upgrade_suite.judging.fault_checks import CONNECTION_ENDED, READ_ONLY_DATABASE

    ended = {
        **record("postgres", "passed", {}),
        "faults": [
            {"fault": CONNECTION_ENDED, "revision": "r1", "failed_after_s": 1.0, "recovery_s": 2.0},
            {"fault": CONNECTION_ENDED, "revision": "r2", "failed_after_s": 3.0, "recovery_s": 6.0},
        ],
    }
    read_only = {**record("sqlite", "passed", {}), "faults": [{"fault": READ_ONLY_DATABASE, "failed_after_s": 4.0}]}
    text = render([ended, read_only, record("sqlite", "passed", {})])
    section = text.split("## After a database fault")[1]
    assert "| PostgreSQL | Nothing to clean up on PostgreSQL" in section
    assert "| 2.0 s, 3.0 s | 4.0 s, 6.0 s | 2 |" in section
    assert "| SQLite | Make it writable" in section and "| 4.0 s, 4.0 s | - | 1 |" in section
    assert "## After a database fault" not in render([record("sqlite", "passed", {})])
