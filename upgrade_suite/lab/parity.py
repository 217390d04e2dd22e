"""Parity: is the upgraded database what it should be? Data against before, schema against a fresh install,
and one path of migrations against another."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from upgrade_suite.judging.at_scale import API_SAMPLE, rows_verdict
from upgrade_suite.judging.checks import Checklist
from upgrade_suite.judging.drift import DriftVerdict, Traces, judge
from upgrade_suite.judging.evidence import Verdict
from upgrade_suite.judging.expectations import expected_transformations
from upgrade_suite.judging.model_facts import ModelFacts, read_models
from upgrade_suite.judging.rows import compare_rows
from upgrade_suite.judging.schema import Baseline, SchemaDiff, compare, count_nulls, describe, fresh_install, parity
from upgrade_suite.judging.snapshots import SnapshotDiff, api_snapshot, diff, restricted, sql_snapshot
from upgrade_suite.judging.transformations import ExpectedLoss
from upgrade_suite.judging.triage import BREAKS, Triage, null_questions, triage
from upgrade_suite.lab import phases
from upgrade_suite.lab.core import Core
from upgrade_suite.lab.history import History, State
from upgrade_suite.releases.specs import Release
from upgrade_suite.services.gateway import gateway_environment


def compare_states(
    history: History, running: Release | None, reference: State, candidate: State, title: str
) -> tuple[SchemaDiff, SnapshotDiff, Checklist]:
    """Schema (exact), every pre-existing row, and row counts per table.

    Rows a migration generates get new random ids each time, so those are compared by count.
    """
    before_sql, previous = history.need_before_sql(), history.need_previous()
    (ref_schema, ref_data), (schema, data) = reference, candidate
    newest = history.newest(running)
    expectations = [
        e
        for e in expected_transformations(previous.version, newest.version)
        if getattr(e, "rule", "") == "moves forward in time"
    ]
    counts = Checklist(f"Row counts per table, {title}")
    for table, count in ref_data.counts().items():
        counts.check(table, data.counts().get(table) == count, f"{count} vs {data.counts().get(table)}")
    data_diff = diff(restricted(ref_data, before_sql), restricted(data, before_sql), expectations)
    return compare(ref_schema, schema, f"Schema, {title}"), data_diff, counts


class Parity:
    """The comparisons of the upgraded database, built on the core's verbs."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.history = core.history

    def _running(self) -> Release | None:
        return self.core.current.release if self.core.current else None

    def compare_states(
        self, reference: State, candidate: State, title: str
    ) -> tuple[SchemaDiff, SnapshotDiff, Checklist]:
        return compare_states(self.history, self._running(), reference, candidate, title)

    def hidden_from_admin(self) -> Callable[[str, dict[str, Any]], bool]:
        """Whether the running release deliberately does not show a row of a kind to the admin (a declared loss).

        The declarations are read once: a listing check asks it of every stored row (17,000 at a million rows).
        """
        previous, running = self.history.need_previous(), self.core.need_current().release
        losses = [
            e
            for e in expected_transformations(previous.version, self.history.newest(running).version)
            if isinstance(e, ExpectedLoss)
        ]
        viewer = self.core.run.secrets.admin_email
        return lambda kind, row: any(e.explains("api", kind, row, viewer) for e in losses)

    def data_diffs(self) -> tuple[SnapshotDiff, Verdict]:
        """API and SQL diffs of now against before the upgrade, with the declared transformations.

        After an upgrade, the pair's own; after a rollback by downgrade, those of the upgrade that was
        undone (its data changes stay); after a restore, only runtime ones (the data is the backup).
        At scale the SQL side is every row compared in the database (``scale/in_scenario.py``).
        """
        current, previous = self.core.need_current(), self.history.need_previous()
        before_api, newest = self.history.need_before_api(), self.history.newest(current.release)
        expectations = expected_transformations(previous.version, newest.version)
        evidence = self.core.evidence
        evidence.attach(
            "Declared transformations for this pair", "\n".join(e.render() for e in expectations) or "(none)"
        )
        viewer = self.core.run.secrets.admin_email
        if self.history.rows_before is not None:
            counts, check = self.history.rows_before
            with self.core.timings.phase(phases.SNAPSHOT_API):
                after_api = api_snapshot(current.api, API_SAMPLE, before_api, self.hidden_from_admin())
            compared = self.history.rows_compared  # right after the migration, when the scenario ran Alembic
            if compared is None:
                with self.core.timings.phase(phases.COMPARE_IN_DATABASE):
                    compared = compare_rows(counts, check, previous.version, newest.version)
            evidence.attach("Rows per table before upgrade, counted in the database", counts, "json")
            evidence.attach(
                f"API sample: the first {API_SAMPLE} objects of each kind, before and after",
                {"before": before_api.counts(), "after": after_api.counts()},
                "json",
            )
            verdict = rows_verdict(compared, as_migrated=self.history.rows_compared is not None)
            return diff(before_api, restricted(after_api, before_api), expectations, viewer), verdict
        database, before_sql = self.core.need_database(), self.history.need_before_sql()
        with self.core.timings.phase(phases.SNAPSHOT_AND_COMPARE):
            after_api = api_snapshot(current.api)
            with database.engine() as engine:
                after_sql = sql_snapshot(engine)
        evidence.attach("SQL snapshot before upgrade (row counts)", before_sql.counts(), "json")
        evidence.attach("SQL snapshot after upgrade (row counts)", after_sql.counts(), "json")
        return diff(before_api, after_api, expectations, viewer), diff(before_sql, after_sql, expectations)

    def backup_diff(self) -> SnapshotDiff:
        """The pre-upgrade backup against the data as it was when the old release stopped."""
        backup, before_sql = self.history.need_backup(), self.history.need_before_sql()
        self.core.need_database()
        with self.core.scratch_database("backup-check") as copy:
            with self.core.timings.phase(phases.RESTORE_INTO_SCRATCH):
                copy.restore(backup)
            with copy.engine() as engine:
                return diff(before_sql, sql_snapshot(engine))

    def fresh_schema(self, release: Release) -> dict[str, str]:
        """The schema of a fresh install of ``release`` on this scenario's engine.

        Made once per release artifact and engine version, then kept in the cache directory
        (a fresh install of the same artifact is the same schema).
        """
        core, run = self.core, self.core.run
        engine_name = core.need_database().engine_name
        if engine_name == "postgresql":
            engine_name += "-" + run.postgres().version
        key = (release.spec.key, engine_name)
        cached = core.config.cache_dir / "fresh-schemas" / f"{release.version}-{release.spec.key}-{engine_name}.json"
        if key not in run.fresh_schemas and cached.exists():
            run.fresh_schemas[key] = json.loads(cached.read_text())
        if key not in run.fresh_schemas:
            with core.scratch_database(f"fresh-{release.spec.alias}") as scratch:
                with core.timings.phase(phases.fresh_install(release.spec.alias)):
                    run.fresh_schemas[key] = fresh_install(
                        release,
                        scratch,
                        core.environment(release, scratch),
                        core.sandbox.path,
                        core.config.timeouts.migration,
                    )
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_text(json.dumps(run.fresh_schemas[key], indent=1, sort_keys=True))
        return run.fresh_schemas[key]

    def model_facts(self, release: Release) -> ModelFacts:
        """What ``release``'s SQLAlchemy models expect, read once per release artifact and kept in the cache."""
        core, run = self.core, self.core.run
        if release.spec.key not in run.models:
            cached = core.config.cache_dir / "model-facts" / f"{release.version}-{release.spec.key}.json"
            if cached.exists():
                run.models[release.spec.key] = ModelFacts.load(cached)
            else:
                probe_db = f"sqlite:///{core.sandbox.path / 'model-probe.db'}"  # for its SQLite foreign-key fact
                environment = gateway_environment(release, probe_db, run.secrets, core.sandbox.path)
                with core.timings.phase(phases.READ_MODELS):
                    run.models[release.spec.key] = read_models(
                        release, environment, core.sandbox.path, cached, core.config.timeouts.migration
                    )
        return run.models[release.spec.key]

    def schema_parity(self) -> SchemaDiff:
        """This database's schema against a fresh install of the release it is now at, with the consequences of
        each difference for the release's users (the "Consequences" evidence)."""
        return self.triaged()[0]

    def schema_drift(self) -> DriftVerdict:
        """The schema differences judged by their consequences against what a person accepted for the pair."""
        found, consequences = self.triaged()
        self.core.evidence.attach("Schema parity diff", found.render())
        previous, release = self.history.need_previous(), self.core.need_current().release
        return judge(
            found, Baseline(previous.version, release.version, self.core.need_database().engine_name), consequences
        )

    def triaged(self, release: Release | None = None) -> tuple[SchemaDiff, Triage]:
        """This database against a fresh install of its release (the running one unless given: a stopped gateway's
        database is judged against the release it was upgraded to), each difference with its consequence."""
        database = self.core.need_database()
        release = release or self.core.need_current().release
        found = parity(database, self.fresh_schema(release), release)
        if not found.differences:
            return found, triage(found, database.engine_name)
        consequences = triage(
            found, database.engine_name, self.model_facts(release), count_nulls(database, null_questions(found))
        )
        self.core.evidence.attach("Consequences", consequences.render())
        self.history.consequences.append(f"claimed: schema differences on {database.label}: {consequences.counts()}")
        self.history.consequences += [f"claimed: {c.says}" for c in consequences.of(BREAKS)]
        return found, consequences

    def downgrade_traces(self) -> Traces:
        """This database's schema against the one the pre-upgrade backup holds, each difference judged by what it
        does to the release now running (the old one, after a rollback) with its own models."""
        database, release = self.core.need_database(), self.core.need_current().release
        with self.core.scratch_database("before-upgrade") as copy:
            copy.restore(self.history.need_backup())
            with copy.engine() as engine:
                before = describe(engine)
        with database.engine() as engine:
            found = compare(
                describe(engine), before, f"Schema after the rollback vs before the upgrade ({database.label})"
            )
        model = self.model_facts(release) if found.differences else None
        nulls = count_nulls(database, null_questions(found))
        consequences = triage(
            found, database.engine_name, model, nulls, ("the downgraded database", "the database before the upgrade")
        )
        return Traces(release.spec.label, consequences)

    def compare_with_path_through(self, via: str) -> tuple[SchemaDiff, SnapshotDiff, Checklist]:
        """The pre-upgrade backup migrated through ``via`` first, against the direct migration.

        Both stop at the migration (no gateway start), so what differs is the migration chain:
        the schema, every pre-existing row (rows a migration generates get new random ids on each
        path, so those are compared by count per table).
        """
        self.core.need_database()
        backup, current, previous = self.history.need_backup(), self.core.need_current(), self.history.need_previous()
        stops = [self.core.release(via), current.release]
        direct = self.core.clean_upgrade(current.release)
        with self.core.scratch_database(f"through-{stops[0].spec.alias}") as copy:
            copy.restore(backup)
            for release in stops:
                self.core.migrate(
                    release,
                    copy,
                    ("upgrade", "head"),
                    phases.alembic_upgrade_through(release.spec.alias, via),
                    f"alembic upgrade head ({release.spec.label}, path through {via})",
                )
            through = self.core.state(copy)
        return self.compare_states(
            direct, through, f"{previous.spec.alias} -> {stops[1].spec.alias} directly vs through {via}"
        )
