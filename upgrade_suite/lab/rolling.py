"""UPG-06, the rolling upgrade: replicas behind a real load balancer (or a cluster's Helm release), a prober
sending steady traffic through it, and the record of what every request saw while the replicas were replaced."""

from __future__ import annotations

import time
from collections.abc import Callable

from upgrade_suite.base.waiting import bounded_run
from upgrade_suite.client.dataset import Dataset
from upgrade_suite.client.prober import Prober, Window, to_csv
from upgrade_suite.judging.checks import Checklist
from upgrade_suite.judging.cluster_state import finished_on_cluster, pods_run
from upgrade_suite.judging.evidence import CheckFailed
from upgrade_suite.judging.timeline import timeline_png
from upgrade_suite.lab import phases
from upgrade_suite.lab.core import Core
from upgrade_suite.lab.history import need
from upgrade_suite.lab.node import OnNode, rollout_timeout
from upgrade_suite.lab.rollout import Rollout, served_by_version
from upgrade_suite.releases.specs import Release
from upgrade_suite.services.balancer import HAProxyBalancer
from upgrade_suite.services.chart import REPLICA_COUNT
from upgrade_suite.services.database import stamped_revisions
from upgrade_suite.services.gateway import Gateway
from upgrade_suite.services.kube_events import read_events, timeline, warnings
from upgrade_suite.services.kubernetes import ClusterRollout, HelmRollout, RolloutStalled, image_tag

#: Seconds of traffic the prober records before the rollout (the latency baseline) and after it.
BASELINE_SECONDS, TAIL_SECONDS = 5, 2


class Rolling:
    """The rollout's verbs and what the Thens judge: the rollout, the prober and the window it ran in."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.history = core.history
        self.rollout: Rollout[Gateway] | None = None
        self.prober: Prober | None = None
        self.roll_window = (0.0, 0.0)
        self.roll_started = 0.0  # when the cluster's latest upgrade or rollback began, on the prober's clock
        self.during_roll: Window | None = None  # the prober's figures while the rollout ran
        self.kubernetes: ClusterRollout | None = None
        self.clocks = (0.0, 0.0)  # time.time() and time.monotonic() read together when the prober started
        self.target: Release | None = None  # the release the cluster's latest upgrade or rollback went to
        self.stalled = ""  # kubectl rollout status's error when it gave up, for the Thens to judge
        self.count = 0  # how many replicas the Deployment wants
        self.events: list[tuple[float, str]] = []  # what was done to the cluster, on the prober's clock

    def need_rollout(self) -> Rollout[Gateway]:
        return need(self.rollout, "replicas behind a load balancer", "starts them")

    def need_prober(self) -> Prober:
        return need(self.prober, "steady traffic", "starts it")

    def replicas_with_data(
        self,
        alias: str,
        engine: str,
        count: int,
        dataset: Dataset,
        start: Callable[[Release], Gateway] | None = None,
        generations: int = 2,
    ) -> Rollout[Gateway]:
        """Given <count> <alias> replicas with data behind a load balancer, on one database; backed up first.

        ``start`` starts one replica (the suite's own start by default); the balancer has slots for
        ``generations`` sets of replicas (the first, the upgrade's, a rollback's), as slots are never reused.
        """
        core = self.core
        core.running_with_data(alias, engine, dataset)
        core.stop_and_back_up()
        balancer = core.own(
            HAProxyBalancer(core.sandbox.subdir("balancer"), generations * count, core.config.timeouts.gateway_start)
        )
        core.gateway_logs.append(balancer.log_path)
        self.rollout = Rollout(
            balancer, start or self._start_replica, core.config.timeouts.gateway_start, core.config.timeouts.drain
        )
        self.count = count
        with core.timings.phase(phases.start_replicas(count, alias)):
            self.rollout.bring_up(core.release(alias), count)
        return self.rollout

    def _start_replica(self, release: Release) -> Gateway:
        gateway = self.core.gateway(release)
        gateway.start()
        return gateway

    def use_cluster(self, alias: str) -> None:
        """Given a Kubernetes cluster running <alias> through the Helm chart: the configured one, checked, or the
        suite's own node with the release installed on it."""
        settings = self.core.config.rollout
        if not settings.kube_context:
            self.kubernetes = OnNode(self.core).deploy(alias)
            return
        helm = HelmRollout(settings)
        image = bounded_run(helm.current_image(), "kubectl get deployment", 60).stdout
        expected = image_tag(self.core.release(alias).version)
        assert image.endswith(f":{expected}"), (
            f"the cluster's gateway runs {image or 'nothing'}, not {alias} ({expected})"
        )
        self.kubernetes = helm

    def steady_traffic(self, cycle: tuple[str, ...]) -> Prober:
        """Start the prober (requests of ``cycle``) through the balancer or the cluster's Service; record a baseline."""
        core = self.core
        settings, t = core.config.rollout, core.config.timeouts
        if self.kubernetes:
            url, token = self.kubernetes.url, self.kubernetes.token
        else:
            rollout, previous = self.need_rollout(), self.history.need_previous()
            url, token = rollout.balancer.url, core.run.token(previous, core.environment(previous))
        replicas = settings.replicas or self.count or REPLICA_COUNT
        bound = t.migration + (replicas + 1) * (t.gateway_start + t.drain) + BASELINE_SECONDS + TAIL_SECONDS
        self.clocks = (time.time(), time.monotonic())
        self.prober = core.own(Prober(url, token, settings.probe_rate, bound, t.request, cycle))
        with core.timings.phase(phases.probe_baseline(BASELINE_SECONDS)):
            self.prober.wait_for(int(settings.probe_rate * BASELINE_SECONDS), t.request + BASELINE_SECONDS * 2)
        return self.prober

    def roll(self, target: str, strategy: str) -> None:
        """When the replicas are replaced by <target> ones: migrate first, then the strategy; probe throughout."""
        core = self.core
        rollout = self.need_rollout()
        self.need_prober()
        release = core.release(target)
        self.history.upgrade_to(release)
        started = time.monotonic()
        try:
            with core.timings.phase(phases.rollout(strategy, release.spec.alias)):
                rollout.roll(release, strategy, lambda: core.alembic_upgrade(release))
        except CheckFailed:  # a failed migration stops the roll as a failed pre-upgrade hook stops Helm's: the old
            self.finish_probing(started, rollout.events, rollout.versions())  # ones serve on, and are still judged
            raise
        self.finish_probing(started, rollout.events, rollout.versions())
        core.current = core.connect(release, rollout.live()[-1].gateway)

    def helm_upgrade(self, target: str, done: bool = True, job: Release | None = None) -> None:
        """When the Helm release is upgraded to <target>: the plan's command against the cluster, its migration Job
        of ``job``'s image (None: no Job).

        ``done=False``: a rollback follows, the prober goes on, and the upgrade must have finished."""
        release = self.core.release(target)
        self.core.history.upgrade_to(release)
        kubernetes = need(self.kubernetes, "Kubernetes cluster", "names it")
        with self.core.timings.phase(phases.helm_upgrade(release.spec.alias)):
            self._on_cluster(
                "helm upgrade",
                release,
                lambda timeout: kubernetes.upgrade(release, timeout, job),
                stall_is_fatal=not done,
            )
        if done:
            self._finish_on_cluster()

    def helm_rollback(self, target: Release, downgrade_to: str | None) -> None:
        """When the Helm release is rolled back on the cluster: ``helm rollback``, after a downgrade if
        ``downgrade_to`` (the target's head) is given."""
        kubernetes = need(self.kubernetes, "Kubernetes cluster", "names it")
        with self.core.timings.phase(phases.helm_rollback(target.spec.alias)):
            self._on_cluster(
                "helm rollback", target, lambda timeout: kubernetes.rollback(target, downgrade_to, timeout)
            )
        self._finish_on_cluster()

    def _on_cluster(
        self, what: str, release: Release, commands: Callable[[int], str], stall_is_fatal: bool = False
    ) -> None:
        """Run ``what`` to ``release`` on the cluster under the prober; a rollout that gives up is recorded for the
        Thens (``stall_is_fatal``: not when the scenario starts from it)."""
        kubernetes = need(self.kubernetes, "Kubernetes cluster", "names it")
        self.need_prober()
        self.target, self.stalled = release, ""
        self.roll_started = time.monotonic()
        try:
            transcript = commands(rollout_timeout(self.core))
        except RolloutStalled as stalled:
            if stall_is_fatal:
                raise
            transcript = self.stalled = str(stalled)
        self.core.evidence.attach(f"{what} and kubectl rollout status", transcript)
        self.events.append((self.roll_started, f"{what} to {kubernetes.image_label(release)}"))

    def finished_on_cluster(self) -> Checklist:
        """The cluster's rollout finished with every wanted replica a Ready pod of the target's image."""
        kubernetes = need(self.kubernetes, "Kubernetes cluster", "names it")
        target = need(self.target, "Helm upgrade or rollback", "rolls the Helm release")
        replicas = self.core.config.rollout.replicas or REPLICA_COUNT
        state = kubernetes.state()
        self.core.evidence.attach("The cluster's Deployments and pods", state, "json")
        return finished_on_cluster(state, kubernetes.deployment, kubernetes.image_label(target), replicas, self.stalled)

    def _finish_on_cluster(self) -> None:
        """The cluster's own events since the prober started join the suite's in the record, then probing ends."""
        kubernetes = need(self.kubernetes, "Kubernetes cluster", "names it")
        events = read_events(kubernetes.events())
        self.core.evidence.attach(
            "Cluster events since traffic started",
            "\n".join(f"{at - self.clocks[1]:8.2f} s  {text}" for at, text in timeline(events, *self.clocks))
            + "\n\nWarnings:\n"
            + "\n".join(warnings(events) or ["none"]),
        )
        self.finish_probing(self.roll_started, sorted([*self.events, *timeline(events, *self.clocks)]), {})

    def replicas_run(self, alias: str, head_of: str) -> Checklist:
        """Whether every live replica runs ``alias`` on a database stamped at ``head_of``'s head."""
        core = self.core
        target = core.run.release(alias)
        if self.kubernetes is not None:
            state = self.kubernetes.state()
            result = pods_run(state, self.kubernetes.deployment, self.kubernetes.image_label(target), alias)
        else:
            live, replicas = self.need_rollout().live(), self.count
            result = Checklist(f"Every replica runs {alias}")
            result.check(
                f"{replicas} replicas serve", len(live) == replicas, f"{len(live)} live", ("replicas missing",)
            )
            result.check(
                f"all are {target.spec.label}",
                all(s.release is target for s in live),
                ", ".join(f"{s.name}={s.release.spec.alias}" for s in live),
                ("replica of another release serves",),
            )
        with core.need_database().engine() as engine:
            stamped = stamped_revisions(engine)
        head = core.run.release(head_of).alembic_heads
        result.check(
            f"database stamped at {head_of}'s head",
            sorted(stamped) == sorted(head),
            f"{stamped} vs {head}",
            ("database at another head", *stamped),
        )
        return result

    def finish_probing(self, started: float, events: list[tuple[float, str]], versions: dict[str, str]) -> None:
        """Probe a short tail after the rollout, stop, and attach the record, the picture and the figures."""
        prober, rate, evidence = self.need_prober(), self.core.config.rollout.probe_rate, self.core.evidence
        ended = time.monotonic()
        self.roll_window = (started, ended)
        prober.wait_for(
            len(prober.snapshot()) + int(rate * TAIL_SECONDS), self.core.config.timeouts.request + TAIL_SECONDS * 2
        )
        prober.stop()
        records, origin = prober.records, prober.started_at
        self.during_roll = Window.of("during the rollout", records, started, ended)
        windows = [
            Window.of("before the rollout", records, origin, started),
            self.during_roll,
            Window.of("after the rollout", records, ended, prober.stopped_at),
        ]
        evidence.attach(
            "Probe summary",
            {
                "rate_per_s": rate,
                "rollout_seconds": round(ended - started, 2),
                "windows": [vars(w) for w in windows],
                "served_by_version": served_by_version(records, versions),
                "events": [(round(at - origin, 3), text) for at, text in events],
                "cleanup_failures": prober.cleanup_failures,
            },
            "json",
        )
        evidence.attach("Probe record (every request)", to_csv(records, origin), "csv")
        evidence.attach_png(
            "Rollout timeline",
            timeline_png(records, versions, events, origin, f"Requests through the balancer, {len(records)} sent"),
        )
