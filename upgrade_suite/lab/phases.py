"""The names of a scenario's timed phases: the contract between the lab, reports/timings.jsonl and the runbook.

The lab times every phase under one of these names; ``runbook.py`` looks its durations up by the
same builders, so renaming a phase here renames it on both sides (and ``test_runbook`` checks it).
Builders take release aliases ("RC1", "GA"), not labels, in the order the comment names them.
"""

from __future__ import annotations

BACK_UP = "back up database"
RESTORE_BACKUP = "restore pre-upgrade backup"
SNAPSHOT_SQL = "snapshot via SQL"
SNAPSHOT_API = "snapshot via API"
SNAPSHOT_AND_COMPARE = "snapshot and compare"
COPY_FOR_COMPARISON = "count rows and copy the database to compare against (at scale)"
COMPARE_IN_DATABASE = "compare every row in the database (at scale)"
SEED = "seed"
WRITES_IN_SQL = "write to the tables no user operation reaches, in SQL, on both databases"
COPY_SEEDED = "copy the seeded database"
START_POSTGRES = "start the PostgreSQL server (once per run)"
START_NODE = "start the suite's Kubernetes node"
RESTORE_INTO_SCRATCH = "restore backup into a scratch database"
READ_SETTINGS = "read both releases' settings models"
READ_MODELS = "read the release's SQLAlchemy models (once per release)"


#: Builders: each fills its template with the arguments named in its comment.
provision = "provision {}".format  # (alias)
image = "image of {}".format  # (alias)
mint_token = "mint token ({})".format  # (alias)
start = "start {}".format  # (alias)
reference_start = "start {} on the pre-upgrade data (start-up reference)".format  # (alias)
repeated_migration = "alembic upgrade head on a copy ({}) before its start is measured again".format  # (alias)
repeated_start = "start {} again on a copy as the upgrade did (start-up over budget, measured again)".format  # (alias)
stop = "stop {}".format  # (alias)
seeded_fixture = "start {}, seed, stop (fixture, once per run)".format  # (alias)
bootstrap_schema = "bootstrap {} schema".format  # (alias)
populate = "populate ~{} rows".format  # (scale)
alembic_upgrade = "alembic upgrade head ({})".format  # (alias)
alembic_upgrade_through = "alembic upgrade head ({}, path through {})".format  # (alias, via)
alembic_upgrade_again = "alembic upgrade head again ({})".format  # (alias)
clean_upgrade = "clean alembic upgrade head ({})".format  # (alias)
alembic_downgrade = "alembic downgrade {} ({})".format  # (head, alias)
create_objects = "create objects on {}".format  # (alias)
present_credentials = "present credentials to {}".format  # (alias)
fresh_install = "fresh install of {} for schema parity".format  # (alias)
interrupt_each = "interrupt ({}) and retry at each of {} revisions".format  # (point, count)
walk = "walk {} revisions up and down".format  # (count)
start_together = "start {} {} gateways at once".format  # (count, alias)
start_together_killing = "start {} {} gateways at once, kill the migrating one".format  # (count, alias)
start_one_of = "start one of {} {} gateways".format  # (count, alias)
restart_killed = "restart the killed {} gateway".format  # (alias)
start_on_newer_database = "start {} on the newer database".format  # (alias)
start_faulted = "start {} on the {} database".format  # (alias, fault)
migrate_behind_reader = "alembic upgrade head ({}) behind a long reader".format  # (alias)
migrate_faulted = "alembic upgrade head ({}) on {}".format  # (alias, fault)
crash_and_retry = "stop the server inside {}, start it again, retry".format  # (revision)
upgrade_two_at_once = "alembic upgrade head ({}) of two deployments at once".format  # (alias)
start_with_settings = "start {} with {}'s settings".format  # (new, old)
start_without_settings = "start {} without them (on a copy)".format  # (new)
start_replicas = "start {} {} replicas behind HAProxy".format  # (count, alias)
probe_baseline = "probe baseline ({} s)".format  # (seconds)
rollout = "{} rollout to {}".format  # (strategy, alias)
helm_upgrade = "helm rolling upgrade to {}".format  # (alias)
helm_install = "helm install of {} and its rollout".format  # (alias)
helm_rollback = "helm rollback to {}".format  # (alias)
chart_upgrade = "chart upgrade to {} (migration Job, then the roll)".format  # (alias)
migration_job = "migration Job ({} bootstrap_db)".format  # (alias)
chart_rollback = "chart rollback to {} ({})".format  # (alias, "helm rollback alone" or "downgrade Job first")
probe_operation = "{} on a copy of the {} database".format  # (operation, "upgraded" or "fresh")
