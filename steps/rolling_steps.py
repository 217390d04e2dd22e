"""Steps of rolling.feature (UPG-06): replicas behind a real load balancer, a prober, and the rollout's verdicts."""

from __future__ import annotations

import subprocess
from typing import Any

from behave import given, then, when

from upgrade_suite.checks import Checklist
from upgrade_suite.database import stamped_revisions
from upgrade_suite.dataset import Dataset
from upgrade_suite.kubernetes import HelmRollout, image_tag, unavailable_reason
from upgrade_suite.rollout import drained_gracefully, health_throughout, traffic_after_readiness, zero_downtime


@given("{count:d} {release:Release} replicas with data behind a load balancer on {database:Database}")
def step_replicas(context: Any, count: int, release: str, database: str) -> None:
    context.lab.replicas_with_data(release, database, count, Dataset())


@given("a Kubernetes cluster running {release:Release} through the Helm chart")
def step_cluster(context: Any, release: str) -> None:
    lab = context.lab
    reason = unavailable_reason(lab.config.rollout)
    if reason:
        lab.evidence.attach("Why this scenario was skipped", reason)
        context.scenario.skip(reason=reason)
        return
    lab.kubernetes = HelmRollout(lab.config.rollout)
    image = subprocess.run(lab.kubernetes.current_image(), capture_output=True, text=True, timeout=60).stdout
    expected = image_tag(lab.release(release).version)
    assert image.endswith(f":{expected}"), f"the cluster's gateway runs {image or 'nothing'}, not {release} ({expected})"


@given("steady {traffic:Traffic} through the load balancer")
def step_traffic(context: Any, traffic: tuple[str, ...]) -> None:
    context.lab.steady_traffic(traffic)


@when("the replicas are replaced by {release:Release} ones with a {strategy:Strategy}")
def step_roll(context: Any, release: str, strategy: str) -> None:
    context.lab.roll(release, strategy)


@when("the Helm release is upgraded to {release:Release}")
def step_helm(context: Any, release: str) -> None:
    context.lab.helm_upgrade(release)


@then("no request was dropped")
def step_no_drop(context: Any) -> None:
    lab = context.lab
    lab.evidence.require("No request dropped", zero_downtime(lab.prober.records, lab.during_roll))


@then("every health check answered 200 throughout")
def step_health(context: Any) -> None:
    lab = context.lab
    lab.evidence.require("Health checks during the rollout", health_throughout(lab.prober.records, *lab.roll_window))


@then("old replicas drained before they stopped")
def step_drained(context: Any) -> None:
    lab = context.lab
    lab.evidence.require("Drain of the old replicas", drained_gracefully(lab.prober.records, lab.rollout.balancer.dispatches(), lab.rollout.slots))


@then("new replicas received traffic only after they were ready")
def step_ready_first(context: Any) -> None:
    lab = context.lab
    lab.evidence.require("Traffic to new replicas", traffic_after_readiness(lab.rollout.balancer.dispatches(), lab.rollout.slots, lab.upgraded_to))


@then("every replica runs {release:Release} on {head_of:Release}'s database head")
def step_all_on(context: Any, release: str, head_of: str) -> None:
    lab = context.lab
    target, live = lab.run.release(release), lab.rollout.live()
    result = Checklist(f"Every replica runs {release}")
    result.check(f"{lab.config.rollout.replicas} replicas serve", len(live) == lab.config.rollout.replicas, f"{len(live)} live")
    result.check(f"all are {target.spec.label}", all(s.release is target for s in live), ", ".join(f"{s.name}={s.release.spec.alias}" for s in live))
    with lab.database.engine() as engine:
        stamped = stamped_revisions(engine)
    head = lab.run.release(head_of).alembic_heads
    result.check(f"database stamped at {head_of}'s head", sorted(stamped) == sorted(head), f"{stamped} vs {head}")
    lab.evidence.require(result.title, result)
