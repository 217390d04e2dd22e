"""The names of a scenario's timed phases: the contract between the lab, reports/timings.jsonl and the runbook.

The lab times every phase under one of these names; ``runbook.py`` looks its durations up by the
same builders, so renaming a phase here renames it on both sides (and ``test_runbook`` checks it).
Builders take release aliases ("RC1", "GA"), not labels.
"""

from __future__ import annotations

BACK_UP = "back up database"
RESTORE_BACKUP = "restore pre-upgrade backup"
SNAPSHOT_SQL = "snapshot via SQL"
SNAPSHOT_API = "snapshot via API"
SNAPSHOT_AND_COMPARE = "snapshot and compare"
SEED = "seed"
COPY_SEEDED = "copy the seeded database"
START_POSTGRES = "start the PostgreSQL server (once per run)"
RESTORE_INTO_SCRATCH = "restore backup into a scratch database"
READ_SETTINGS = "read both releases' settings models"


def provision(alias: str) -> str:
    return f"provision {alias}"


def image(alias: str) -> str:
    return f"image of {alias}"


def mint_token(alias: str) -> str:
    return f"mint token ({alias})"


def start(alias: str) -> str:
    return f"start {alias}"


def stop(alias: str) -> str:
    return f"stop {alias}"


def seeded_fixture(alias: str) -> str:
    return f"start {alias}, seed, stop (fixture, once per run)"


def bootstrap_schema(alias: str) -> str:
    return f"bootstrap {alias} schema"


def populate(scale: int) -> str:
    return f"populate ~{scale} rows"


def alembic_upgrade(alias: str) -> str:
    return f"alembic upgrade head ({alias})"


def alembic_upgrade_through(alias: str, via: str) -> str:
    return f"alembic upgrade head ({alias}, path through {via})"


def alembic_upgrade_again(alias: str) -> str:
    return f"alembic upgrade head again ({alias})"


def clean_upgrade(alias: str) -> str:
    return f"clean alembic upgrade head ({alias})"


def alembic_downgrade(head: str, alias: str) -> str:
    return f"alembic downgrade {head} ({alias})"


def create_objects(alias: str) -> str:
    return f"create objects on {alias}"


def present_credentials(alias: str) -> str:
    return f"present credentials to {alias}"


def fresh_install(alias: str) -> str:
    return f"fresh install of {alias} for schema parity"


def interrupt_each(point: str, count: int) -> str:
    return f"interrupt ({point}) and retry at each of {count} revisions"


def walk(count: int) -> str:
    return f"walk {count} revisions up and down"


def start_together(count: int, alias: str) -> str:
    return f"start {count} {alias} gateways at once"


def start_together_killing(count: int, alias: str) -> str:
    return f"start {count} {alias} gateways at once, kill the migrating one"


def start_one_of(count: int, alias: str) -> str:
    return f"start one of {count} {alias} gateways"


def restart_killed(alias: str) -> str:
    return f"restart the killed {alias} gateway"


def start_on_newer_database(alias: str) -> str:
    return f"start {alias} on the newer database"


def start_with_settings(new: str, old: str) -> str:
    return f"start {new} with {old}'s settings"


def start_without_settings(new: str) -> str:
    return f"start {new} without them (on a copy)"


def start_replicas(count: int, alias: str) -> str:
    return f"start {count} {alias} replicas behind HAProxy"


def probe_baseline(seconds: int) -> str:
    return f"probe baseline ({seconds} s)"


def rollout(strategy: str, alias: str) -> str:
    return f"{strategy} rollout to {alias}"


def helm_upgrade(alias: str) -> str:
    return f"helm rolling upgrade to {alias}"
