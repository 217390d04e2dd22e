"""Steps of rolling.feature (UPG-06): replicas behind a real load balancer, a prober, and the rollout's verdicts."""

from __future__ import annotations

from typing import Any

from behave import given, then, when

from upgrade_suite.client.dataset import Dataset
from upgrade_suite.lab.rollout import drained_gracefully, health_throughout, traffic_after_readiness, zero_downtime
from upgrade_suite.services.kubernetes import unavailable_reason


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
    lab.use_cluster(release)


@given("steady {traffic:Traffic} through the load balancer")
def step_traffic(context: Any, traffic: tuple[str, ...]) -> None:
    context.lab.steady_traffic(traffic)


@when("the replicas are replaced by {release:Release} ones with a {strategy:Strategy}")
def step_roll(context: Any, release: str, strategy: str) -> None:
    context.lab.roll(release, strategy)


@given("{release:Release} deployed by the Helm chart with data on {database:Database}")
def step_chart_deployed(context: Any, release: str, database: str) -> None:
    context.lab.deploy_with_chart(release, database, Dataset())


@when("the Helm release is upgraded to {release:Release}")
def step_helm(context: Any, release: str) -> None:
    context.lab.helm_upgrade(release)


@given("the Helm release has been upgraded to {release:Release}")
def step_helm_upgraded(context: Any, release: str) -> None:
    context.lab.helm_upgrade(release, done=False)


@when("the Helm release is upgraded to {release:Release} without its migration Job")
def step_helm_without_job(context: Any, release: str) -> None:
    context.lab.helm_upgrade(release, skip_job=True)


@when("the Helm release is upgraded to {release:Release} with the migration Job's image left at {job:Release}")
def step_helm_skewed_job(context: Any, release: str, job: str) -> None:
    context.lab.helm_upgrade(release, job_alias=job)


@when("the Helm release is rolled back to {release:Release} {downgrade_first:ChartRollback}")
def step_helm_rollback(context: Any, release: str, downgrade_first: bool) -> None:
    context.lab.helm_rollback(release, downgrade_first)


@then("the rollout finished with every replica Ready")
def step_rollout_finished(context: Any) -> None:
    result = context.lab.rollout_finished()
    context.lab.evidence.require(result.title, result)


@then("no request was dropped")
def step_no_drop(context: Any) -> None:
    lab = context.lab
    lab.evidence.require(
        "No request dropped", zero_downtime(lab.rolling.need_prober().records, lab.rolling.during_roll)
    )


@then("every health check answered 200 throughout")
def step_health(context: Any) -> None:
    lab = context.lab
    lab.evidence.require(
        "Health checks during the rollout",
        health_throughout(lab.rolling.need_prober().records, *lab.rolling.roll_window),
    )


@then("old replicas drained before they stopped")
def step_drained(context: Any) -> None:
    lab = context.lab
    rollout = lab.rolling.need_rollout()
    lab.evidence.require(
        "Drain of the old replicas",
        drained_gracefully(lab.rolling.need_prober().records, rollout.balancer.dispatches(), rollout.slots),
    )


@then("new replicas received traffic only after they were ready")
def step_ready_first(context: Any) -> None:
    lab = context.lab
    rollout = lab.rolling.need_rollout()
    lab.evidence.require(
        "Traffic to new replicas",
        traffic_after_readiness(rollout.balancer.dispatches(), rollout.slots, lab.history.need_upgraded_to()),
    )


@then("every replica runs {release:Release} on {head_of:Release}'s database head")
def step_all_on(context: Any, release: str, head_of: str) -> None:
    result = context.lab.replicas_run(release, head_of)
    context.lab.evidence.require(result.title, result)
