"""One scenario as the Gherkin steps see it: ``context.lab``, every step's verb in one place.

The work is done by the core (resources and the operator's procedure) and one part per concern;
this class only names the verbs and hands each to the part that owns it, so a reader following
a step goes from here to exactly one method.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from upgrade_suite.base.config import SuiteConfig
from upgrade_suite.base.sandbox import Sandbox
from upgrade_suite.client.auth import AuthObservation, Credentials
from upgrade_suite.client.dataset import Dataset
from upgrade_suite.client.prober import Prober
from upgrade_suite.judging.at_scale import PAGED_SAMPLE
from upgrade_suite.judging.carryover import CarriedStart
from upgrade_suite.judging.checks import Checklist
from upgrade_suite.judging.declarations import declared_for
from upgrade_suite.judging.drift import DriftVerdict, Traces
from upgrade_suite.judging.evidence import Evidence, Timings, Verdict
from upgrade_suite.judging.known_defects import KnownDefect
from upgrade_suite.judging.operations import Probes
from upgrade_suite.judging.plans import QueryPlans
from upgrade_suite.judging.row_probes import WriteProbes
from upgrade_suite.judging.schema import SchemaDiff
from upgrade_suite.judging.snapshots import SnapshotDiff
from upgrade_suite.judging.triage import Triage
from upgrade_suite.judging.workload import WorkloadComparison
from upgrade_suite.lab.chart import Chart
from upgrade_suite.lab.consequences import Consequences
from upgrade_suite.lab.core import Core, Running
from upgrade_suite.lab.experiments import Experiments
from upgrade_suite.lab.faults import Faults
from upgrade_suite.lab.hazards import Hazards
from upgrade_suite.lab.history import History, State
from upgrade_suite.lab.measured import measurements, starts, versions
from upgrade_suite.lab.parity import Parity
from upgrade_suite.lab.rolling import Rolling
from upgrade_suite.lab.rollout import Rollout
from upgrade_suite.lab.run import SuiteRun
from upgrade_suite.lab.startup import StartUp
from upgrade_suite.releases.specs import Release
from upgrade_suite.services.database import Database
from upgrade_suite.services.migrations import AlembicRun
from upgrade_suite.services.replicas import KilledReplica


class UpgradeScenario:
    """One scenario's resources, history and verbs; every step is a call on this object."""

    def __init__(self, run: SuiteRun, name: str) -> None:
        self.core = Core(run, name)
        self.parity = Parity(self.core)
        self.consequences = Consequences(self.core)
        self._triaged: tuple[SchemaDiff, Triage] | None = None
        self.experiments = Experiments(self.core)
        self.hazards = Hazards(self.core)
        self.faults = Faults(self.core)
        self.rolling = Rolling(self.core)
        self.chart = Chart(self.core, self.rolling)
        self.startup = StartUp(self.core)
        self.run: SuiteRun = self.core.run
        self.config: SuiteConfig = self.core.config
        self.history: History = self.core.history
        self.sandbox: Sandbox = self.core.sandbox
        self.evidence: Evidence = self.core.evidence
        self.timings: Timings = self.core.timings

    # -- what the steps and hooks read -------------------------------------------------------
    @property
    def database(self) -> Database:
        """The scenario's database (a step that needs one before it exists is broken, not failed)."""
        return self.core.need_database()

    @property
    def current(self) -> Running:
        """The running gateway."""
        return self.core.need_current()

    # -- the core: resources, the procedure, rollback ----------------------------------------
    def release(self, alias: str) -> Release:
        return self.core.release(alias)

    def versions(self) -> dict[str, dict[str, object]]:
        return versions(self.core)

    def measurements(self) -> dict[str, object]:
        return measurements(self.core)

    def starts(self) -> list[dict[str, object]]:
        return starts(self.core)

    def starts_within_budget(self) -> Checklist:
        return self.startup.within_budget()

    def declared_defects(self, tags: Iterable[str]) -> list[KnownDefect]:
        """The known defects declared for this scenario: its tags, its engine, the release pair it ran.

        The pair is the release the scenario started from and the newest it went to, as versions (an
        alias like ``latest`` names another release tomorrow, whose defects nobody has judged yet).
        """
        previous, database = self.history.previous, self.core.database
        if previous is None or database is None:
            return []
        newest = self.history.newest(self.core.current.release if self.core.current else None)
        return declared_for(tags, database.engine_name, previous.version, newest.version)

    def new_database(self, engine: str) -> Database:
        return self.core.new_database(engine)

    def start(self, alias: str) -> Running:
        return self.core.start(alias)

    def stop(self) -> Release:
        return self.core.stop()

    def running_with_data(self, alias: str, engine: str, dataset: Dataset) -> None:
        self.core.running_with_data(alias, engine, dataset)

    def running_populated(self, alias: str, engine: str, dataset: Dataset, scale: int) -> None:
        self.core.running_populated(alias, engine, dataset, scale)

    def stop_and_back_up(self) -> None:
        self.core.stop_and_back_up()

    def upgrade(self, target: str, with_alembic: bool) -> None:
        self.core.upgrade(target, with_alembic)

    def state(self, database: Database) -> State:
        return self.core.state(database)

    def create_after_upgrade(self) -> None:
        self.core.create_after_upgrade()

    def rollback(self, target: str, by_restore: bool) -> None:
        self.core.rollback(target, by_restore)

    def attach_logs(self) -> None:
        self.core.attach_logs()

    def close(self) -> None:
        self.core.close()

    # -- parity: data, schema, paths ---------------------------------------------------------
    def data_diffs(self) -> tuple[SnapshotDiff, Verdict]:
        return self.parity.data_diffs()

    def backup_diff(self) -> SnapshotDiff:
        return self.parity.backup_diff()

    @property
    def api_sample(self) -> int | None:
        """Objects of each kind to page through the API: all (None), or at scale a declared sample."""
        return PAGED_SAMPLE if self.history.at_scale else None

    def hidden_from_admin(self) -> Callable[[str, dict[str, Any]], bool]:
        return self.parity.hidden_from_admin()

    def schema_parity(self) -> SchemaDiff:
        return self.parity.schema_parity()

    def schema_drift(self) -> DriftVerdict:
        return self.parity.schema_drift()

    def downgrade_traces(self) -> Traces:
        return self.parity.downgrade_traces()

    def delete_federated_gateways(self) -> Probes:
        return self.consequences.delete_federated_gateways()

    def workload(self) -> WorkloadComparison:
        return self.consequences.workload()

    def query_plans(self) -> QueryPlans:
        return self.consequences.query_plans()

    def lacking_met(self) -> list[str]:
        """What the upgraded database lacks and the release maps, against the statements the workload made it run."""
        return self.consequences.lacking_met(self._upgrade_triaged()[1])

    def unreached_writes(self) -> WriteProbes:
        """The differences on tables no user operation reaches, proven by writes in SQL."""
        release = self.history.need_upgraded_to()
        diff, consequences = self._upgrade_triaged()
        return self.consequences.unreached_writes(release, diff, consequences, self.parity.model_facts(release))

    def _upgrade_triaged(self) -> tuple[SchemaDiff, Triage]:
        """The upgraded database against a fresh install of its target, triaged once for the consequence steps
        (the database does not change between them)."""
        if self._triaged is None:
            self._triaged = self.parity.triaged(self.history.need_upgraded_to())
        return self._triaged

    def compare_states(
        self, reference: State, candidate: State, title: str
    ) -> tuple[SchemaDiff, SnapshotDiff, Checklist]:
        return self.parity.compare_states(reference, candidate, title)

    def compare_with_path_through(self, via: str) -> tuple[SchemaDiff, SnapshotDiff, Checklist]:
        return self.parity.compare_with_path_through(via)

    # -- experiments: UPG-07, the revision walk ----------------------------------------------
    def partially_apply(self, alias: str) -> AlembicRun:
        return self.experiments.partially_apply(alias)

    def migrate_again(self) -> AlembicRun:
        return self.experiments.migrate_again()

    def interrupt_each_revision(self, alias: str, point: str) -> None:
        self.experiments.interrupt_each_revision(alias, point)

    def walk_revisions(self, alias: str) -> None:
        self.experiments.walk_revisions(alias)

    # -- hazards -----------------------------------------------------------------------------
    def upgrade_by_starting_together(self, alias: str, count: int) -> list[Running]:
        return self.hazards.upgrade_by_starting_together(alias, count)

    def start_together_killing_the_migrator(self, alias: str, count: int) -> KilledReplica | None:
        return self.hazards.start_together_killing_the_migrator(alias, count)

    def restart_killed(self) -> str:
        return self.hazards.restart_killed()

    def logs_after_kill(self) -> list[str]:
        return self.hazards.logs_after_kill()

    def start_on_newer_database(self, alias: str) -> tuple[str, list[str]]:
        return self.hazards.start_on_newer_database(alias)

    def credentials_answers(self) -> tuple[Credentials, AuthObservation]:
        return self.hazards.credentials_answers()

    def start_with_old_settings(self, alias: str, except_refused: bool, mode: str | None = None) -> CarriedStart:
        return self.hazards.start_with_old_settings(alias, except_refused, mode)

    # -- rolling (UPG-06) --------------------------------------------------------------------
    def replicas_with_data(self, alias: str, engine: str, count: int, dataset: Dataset) -> Rollout:
        return self.rolling.replicas_with_data(alias, engine, count, dataset)

    def use_cluster(self, alias: str) -> None:
        self.rolling.use_cluster(alias)

    def steady_traffic(self, cycle: tuple[str, ...]) -> Prober:
        return self.rolling.steady_traffic(cycle)

    def roll(self, target: str, strategy: str) -> None:
        self.rolling.roll(target, strategy)

    def replicas_run(self, alias: str, head_of: str) -> Checklist:
        return self.rolling.replicas_run(alias, head_of)

    # -- the Helm chart's rollout -------------------------------------------------
    def deploy_with_chart(self, alias: str, engine: str, dataset: Dataset) -> None:
        self.chart.deploy(alias, engine, dataset)

    def helm_upgrade(self, target: str, skip_job: bool = False, done: bool = True, job_alias: str = "") -> None:
        self.chart.upgrade(target, skip_job, done, job_alias)

    def helm_rollback(self, target: str, downgrade_first: bool) -> None:
        self.chart.roll_back(target, downgrade_first)

    def rollout_finished(self) -> Checklist:
        return self.chart.finished()
