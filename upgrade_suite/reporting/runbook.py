"""The upgrade runbook, written from measured runs (reports/timings.jsonl), so its timings are true.

For every release pair the runs judged (today's pairs first: to the newest), on each database: the operator's
steps (back up, stop, migrate, start, verify, and the two rollbacks) with the exact command and the duration
each step took in the suite's runs (median and max over every run of that pair that did it whose procedure ran
through: passed, or a known defect found by a check after every Given and When step passed); a pair no such run
measured says so. Once ``make scale`` has run, how long the migration takes by database size
(``--rows URL``: read against the operator's own row count). ``make report`` writes it for the runs it holds;
alone: ``python -m upgrade_suite.reporting.runbook [reports_dir] [--rows URL]`` (every recorded run).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.judging.carryover import RUNBOOK_FILE
from upgrade_suite.judging.fault_checks import CONNECTION_ENDED, DISK_FILLED, READ_ONLY_DATABASE, SERVER_STOPPED
from upgrade_suite.judging.known_defects import KNOWN
from upgrade_suite.lab import phases
from upgrade_suite.scale import forecast

ENGINES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


@dataclass(frozen=True)
class Step:
    title: str
    phase: str  # the phase name in timings.jsonl that measured it ("" when not timed)
    commands: dict[str, str]  # engine tag -> shell command


def steps(old: str, new: str, old_head: str) -> list[Step]:
    """The procedure, in order; commands name the old release's Alembic head (``$OLD_VENV``, ``$NEW_VENV``: the two
    releases' installs)."""
    alembic = '"$NEW_VENV"/bin/alembic -c "$NEW_VENV"/lib/python3.*/site-packages/mcpgateway/alembic.ini'
    return [
        Step(
            "Stop the old gateway (SIGTERM, wait for exit)",
            phases.stop(old),
            {
                "sqlite": "systemctl stop mcpgateway   # or: kill -TERM <pid>",
                "postgres": "systemctl stop mcpgateway   # or: kill -TERM <pid>",
            },
        ),
        Step(
            "Back up the database",
            phases.BACK_UP,
            {
                "sqlite": 'sqlite3 "$DB_FILE" ".backup pre-upgrade.db"',
                "postgres": 'pg_dump --format=custom --no-owner --file=pre-upgrade.dump "$DATABASE_URL"',
            },
        ),
        Step(
            f"Migrate with the new release's Alembic ({new})",
            phases.alembic_upgrade(new),
            {e: f"DATABASE_URL=... {alembic} upgrade head" for e in ENGINES},
        ),
        Step(
            "Start the new gateway; wait until /health says healthy and /ready says ready",
            phases.start(new),
            {
                e: '"$NEW_VENV"/bin/mcpgateway --host 0.0.0.0 --port 4444   # then: curl -s localhost:4444/ready'
                for e in ENGINES
            },
        ),
        Step(
            f"Rollback A: downgrade to {old}'s head with the new release's Alembic",
            phases.alembic_downgrade(old_head, new),
            {e: f"DATABASE_URL=... {alembic} downgrade {old_head}" for e in ENGINES},
        ),
        Step(
            "Rollback B (last resort, loses what was written since): restore the backup",
            phases.RESTORE_BACKUP,
            {
                "sqlite": 'sqlite3 "$DB_FILE" ".restore pre-upgrade.db"',
                "postgres": 'pg_restore --clean --if-exists --no-owner --dbname="$DATABASE_URL" pre-upgrade.dump',
            },
        ),
        Step(
            "Start the old gateway again",
            phases.start(old),
            {e: '"$OLD_VENV"/bin/mcpgateway --host 0.0.0.0 --port 4444' for e in ENGINES},
        ),
    ]


#: The chart's commands, as an operator of charts/mcp-stack types them (``{old}``, ``{new}``: image tags, ``{head}``:
#: the old release's Alembic head). The migration Job is the chart's own pre-upgrade hook: it runs inside helm upgrade.
_DEPLOYMENT = "deployment/mcp-stack-mcpgateway"
_IN_IMAGE = "alembic -c /app/mcpgateway/alembic.ini"


def chart_steps(old: str, new: str, head: str) -> list[Step]:
    """The Helm procedure, in order, with the phases the chart scenarios time it under."""
    upgrade = (
        f"helm upgrade mcp-stack charts/mcp-stack --reuse-values --set mcpContextForge.image.tag={new} "
        f"--set migration.image.tag={new} && kubectl rollout status {_DEPLOYMENT}"
    )
    downgrade = (
        f"kubectl run mcp-downgrade --rm -i --restart=Never --image=ghcr.io/ibm/mcp-context-forge:{new} "
        f'--env DATABASE_URL="$DATABASE_URL" -- {_IN_IMAGE} downgrade {head}'
    )
    return [
        Step(f"Migration Job ({new}'s bootstrap_db, the chart's pre-upgrade hook)", phases.migration_job(new), {}),
        Step("helm upgrade: the Job, then the pods one at a time", phases.chart_upgrade(new), {"": upgrade}),
        Step(
            f"Going back, step 1: {new}'s Alembic downgrade to {old}'s head, as a one-off pod",
            phases.alembic_downgrade(head, new),
            {"": downgrade},
        ),
        Step(
            f"Going back, step 2: helm rollback (only after step 1; alone, {old}'s pods never become Ready)",
            phases.chart_rollback(old, "downgrade Job first"),
            {"": f"helm rollback mcp-stack && kubectl rollout status {_DEPLOYMENT}"},
        ),
    ]


def chart_section(records: list[dict]) -> list[str]:
    """The Helm section, per release pair the chart scenarios ran: commands and measured durations."""
    runs = [r for r in records if "chart" in r["tags"] and r.get("status") == "passed"]
    if not runs:
        return []
    out = [
        "## Helm (charts/mcp-stack)",
        "",
        "Watch `kubectl rollout status` and the pods' startup probe (`kubectl get pods -w`; `kubectl describe pod` "
        "says 'Startup probe failed' while the schema is not at the pod's head). Durations are the chart scenarios' "
        "(probe periods, back-off and progress deadline at their declared scale), passed runs only.",
        "",
    ]
    measured = measurements(runs)
    pairs = sorted({(alias, "latest") for r in runs for alias in r["heads"] if alias != "latest"})
    for old, new in pairs:
        head = next(r["heads"][old] for r in reversed(runs) if old in r["heads"])
        out += [f"### {old} -> {new}", "", "| # | step | command | median | max | runs |", "|---|---|---|---|---|---|"]
        for number, step in enumerate(chart_steps(old, new, head), 1):
            times = measured.get(("postgres", step.phase), [])
            timing = f"{statistics.median(times):.2f} s | {max(times):.2f} s | {len(times)}" if times else "- | - | 0"
            command = f"`{step.commands['']}`" if step.commands else "(runs inside helm upgrade)"
            out.append(f"| {number} | {step.title} | {command} | {timing} |")
        out.append("")
    return out


#: What the operator does after each database fault, as the fault scenarios measured it (faults.feature).
FAULT_ACTIONS = {
    CONNECTION_ENDED: (
        "The migration's connection was ended (a failover, an idle-in-transaction killer, a DBA's "
        "pg_terminate_backend)",
        "Nothing to clean up on PostgreSQL: the upgrade is one transaction and the database is still at the old head "
        "(`alembic current`). Run `alembic upgrade head` again, or start the new release again.",
    ),
    SERVER_STOPPED: (
        "The PostgreSQL server stopped at once during the migration (a power cut, the postmaster killed)",
        "Start the server (it replays its log) and check `alembic current`: the old head, since the upgrade is one "
        "transaction. Then run `alembic upgrade head` again.",
    ),
    DISK_FILLED: (
        "The database's disk filled during the migration (SQLite: 'database or disk is full')",
        "Give the volume room, check `alembic current`, then run `alembic upgrade head` again; if the retry fails on a "
        "leftover `_alembic_tmp_<table>`, restore the pre-upgrade backup and upgrade again.",
    ),
    READ_ONLY_DATABASE: (
        "The database was read-only when the new release started (a standby not yet promoted, a full-disk guard, a "
        "read-only volume)",
        "Make it writable (PostgreSQL: `ALTER DATABASE <db> RESET default_transaction_read_only`, or promote the "
        "standby; SQLite: remount the volume read-write), then start the new release again: it migrates from the old "
        "head.",
    ),
}


def faults_section(records: list[dict]) -> list[str]:
    """After each database fault the runs met: what to do, how long the release took to fail, and the retry."""
    met: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for record in records:
        engine = next((ENGINES[tag] for tag in ENGINES if tag in record["tags"]), "")
        for fault in record.get("faults", []):
            if fault["fault"] in FAULT_ACTIONS:  # an operator's own kill (the hazards) is in the procedure above
                met[(str(fault["fault"]), engine)].append(fault)
    if not met:
        return []
    out = [
        "## After a database fault",
        "",
        "| fault | database | what to do | failed after (median, max) | the retry (median, max) | times met |",
        "|---|---|---|---|---|---|",
    ]
    for (kind, engine), faults in sorted(met.items()):
        title, action = FAULT_ACTIONS.get(kind, (kind, ""))
        cells = []
        for key in ("failed_after_s", "recovery_s"):
            values = [float(f[key]) for f in faults if key in f]
            cells.append(f"{statistics.median(values):.1f} s, {max(values):.1f} s" if values else "-")
        out.append(f"| {title} | {engine} | {action} | {cells[0]} | {cells[1]} | {len(faults)} |")
    return [*out, ""]


def ran_through(record: dict) -> bool:
    """Whether a run's procedure completed: it passed, or it is a known defect a check found after every Given and
    When step passed (the durations are the procedure's own; a known defect of a failed migration is not)."""
    return record.get("status") == "passed" or (record.get("verdict") == KNOWN and bool(record.get("procedure_passed")))


def measurements(records: list[dict]) -> dict[tuple[str, str], list[float]]:
    """(engine tag, phase) -> every duration measured for it, by runs of the process driver that ran through.

    The runbook's commands are the process driver's; a container's start is timed differently.
    """
    found: dict[tuple[str, str], list[float]] = defaultdict(list)
    for record in records:
        if not ran_through(record) or record.get("driver", "process") != "process":
            continue
        engine = next((tag for tag in ENGINES if tag in record["tags"]), "")
        for phase in record["phases"]:
            found[(engine, phase["phase"])].append(phase["seconds"])
    return found


def settings_section(carry_over: dict | None) -> list[str]:
    """Settings to fix in the environment before starting the new release (from the hazards' settings comparison)."""
    if not carry_over:
        return []
    new = carry_over["new"]
    out = [
        f"## Settings to review before starting {new}",
        "",
        f"From both releases' own settings models ({carry_over['old']} reads {carry_over['old_count']} variables, "
        f"{new} {carry_over['new_count']}).",
        "",
    ]
    rows = [
        (name, f"refused by {new}: it does not start with this set ({why})")
        for name, why in sorted(carry_over["refused"].items())
    ]
    rows += [
        (
            name,
            f"{new} refuses {', '.join(f'{value} ({why})' for value, why in values.items())}, which "
            f"{carry_over['old']} accepts: it does not start with such a value",
        )
        for name, values in sorted(carry_over.get("shrank", {}).items())
    ]
    rows += [
        (old, f"renamed: set `{renamed}` instead (the old name is ignored)")
        for old, renamed in sorted(carry_over["renamed"].items())
    ]
    rows += [(name, "dropped: ignored") for name in carry_over["dropped"]]
    if not rows:
        return out + [f"Nothing {new} refuses, renamed or dropped.", ""]
    return out + ["| variable | what to do |", "|---|---|"] + [f"| `{name}` | {what} |" for name, what in rows] + [""]


def judged_pairs(records: list[dict]) -> list[tuple[str, str]]:
    """The (old, new) alias pairs the records upgraded, today's first (to the newest, or tagged @current)."""
    found = list(dict.fromkeys(tuple(r["pair"]) for r in records if len(r.get("pair", ())) == 2))
    today = {tuple(r["pair"]) for r in records if len(r.get("pair", ())) == 2 and "current" in r["tags"]}
    return sorted(found, key=lambda pair: not (pair[1] == "latest" or pair in today))  # type: ignore[return-value]


def pair_section(old: str, new: str, records: list[dict]) -> list[str]:
    """One judged pair: its steps on each database it ran on, with the durations its passed runs measured."""
    labels = records[-1]["releases"]
    old_head = next((r["heads"][old] for r in reversed(records) if old in r.get("heads", {})), f"<{old} head>")
    verdicts: dict[str, int] = defaultdict(int)
    for record in records:
        verdicts[record.get("verdict", record["status"])] += 1
    passed = [r for r in records if ran_through(r)]
    out = [
        f"## {labels.get(old, old)} -> {labels.get(new, new)}",
        "",
        f"Judged by {len(records)} scenario runs ({', '.join(f'{n} {v}' for v, n in sorted(verdicts.items()))}). "
        + (
            f"Durations from the {len(passed)} whose procedure ran through (passed, or a known defect a check found "
            "afterwards); a step without a measurement was not run."
            if passed
            else "No run of this pair ran its procedure through: the commands stand without durations."
        )
        + f" `$OLD_VENV` is {labels.get(old, old)}'s install, `$NEW_VENV` {labels.get(new, new)}'s.",
        "",
    ]
    changes = list(dict.fromkeys(line for r in records for line in r.get("consequences", [])))
    if changes:
        out += [
            "What changes for you after this upgrade (proven: an operation run on both databases; claimed: the "
            "schema triage, not yet proven by an operation):",
            "",
            *(f"- {line}" for line in changes),
            "",
        ]
    measured = measurements(passed)
    for tag, label in ENGINES.items():
        if not any(tag in r["tags"] for r in records):
            continue
        out += [f"### {label}", "", "| # | step | command | median | max | runs |", "|---|---|---|---|---|---|"]
        for number, step in enumerate(steps(old, new, old_head), 1):
            times = measured.get((tag, step.phase), [])
            timing = f"{statistics.median(times):.2f} s | {max(times):.2f} s | {len(times)}" if times else "- | - | 0"
            out.append(f"| {number} | {step.title} | `{step.commands[tag]}` | {timing} |")
        out.append("")
    return out


def render(records: list[dict], carry_over: dict | None = None) -> str:
    """The runbook as Markdown; ``carry_over`` is the saved settings comparison, if a run made one."""
    if not records:
        return "# Upgrade runbook\n\nNo measured runs yet: run the features first (make upgrade).\n" + "\n".join(
            settings_section(carry_over)
        )
    pairs = judged_pairs([r for r in records if "chart" not in r["tags"]])
    out = [
        "# Upgrade runbook",
        "",
        f"From {len(records)} scenario runs on this machine. Release pairs judged: "
        + (", ".join(f"{old} -> {new}" for old, new in pairs) or "none (no scenario upgraded one release to another)")
        + ".",
        "",
    ]
    for old, new in pairs:
        out += pair_section(old, new, [r for r in records if tuple(r.get("pair", ())) == (old, new)])
    return "\n".join(out + chart_section(records) + faults_section(records) + settings_section(carry_over))


def main(reports: Path, rows_url: str | None = None, runs: Collection[str] | None = None) -> None:
    """reports/runbook.md from the records of ``runs`` (run ids; None: every record)."""
    counted = forecast.count_rows(rows_url) if rows_url else None  # an unreadable URL stops here, nothing written
    source = reports / "timings.jsonl"
    records = [json.loads(line) for line in source.read_text().splitlines()] if source.exists() else []
    if runs is not None:
        records = [record for record in records if record.get("run") in runs]
    settings = reports / RUNBOOK_FILE
    text = render(records, json.loads(settings.read_text()) if settings.exists() else None)
    scale = forecast.section(forecast.load(reports), counted)
    if counted and not scale:
        raise SuiteError("ROWS= needs make scale's measurements (reports/scale/scale.json): run make scale first")
    (reports / "runbook.md").write_text("\n".join([text, *scale]))
    print(reports / "runbook.md")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="make runbook", description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="?", default="reports")
    parser.add_argument("--rows", help="a read-only URL of your database: its row count is read against make scale's")
    options = parser.parse_args()
    try:
        main(Path(options.reports), options.rows)
    except SuiteError as error:
        sys.exit(f"make runbook: {error}")
