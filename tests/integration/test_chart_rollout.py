"""The chart's schema gate can fail, and the documented ``helm rollback`` finding is still detected.

One run, on PostgreSQL, of the two chart scenarios that must not be green: the negative control (the
new pods meet a schema nobody migrated: their startup probe must keep them out while the old pods
serve) and the upgrade guide's ``helm rollback`` from 1.1.0 to 1.0.9 (a known defect: judged on its
declared problems, exactly). The chart's green scenarios run in ``make``'s chart job, not here: each costs
a minute or two of CI for what the unit tests of the pod loop and the rolling update already pin.
"""

import json
from pathlib import Path

import pytest

from conftest import ROOT, run_behave, suite_processes

#: Five minutes of four gateways on two cores, timing-sensitive by design (probe periods at 0.1): make test-extended.
pytestmark = [pytest.mark.integration, pytest.mark.extended]

SELECTED = (
    "--tags=@chart and (@negative-control or @product-defect) and not @kubernetes",
    "-n", "never admitted", "-n", "1.0.x back",
)  # fmt: skip


def attachment(run, result: dict, name: str):
    """The JSON of a scenario's attachment named ``name``, wherever in its steps it was attached."""
    for step in result["steps"]:
        for item in step.get("attachments", []):
            if item["name"] == name:
                return json.loads((run.results / item["source"]).read_text())
    raise AssertionError(f"no attachment {name!r} in {result['name']}")


def test_pods_behind_their_schema_are_never_admitted_and_helm_rollback_is_still_the_known_defect(
    workdir: Path, no_leftovers
):
    run = run_behave(workdir, str(ROOT / "features"), *SELECTED)
    verdicts = run.verdicts()
    assert len(verdicts) == 2, run.failures()
    results = {r["name"]: r for r in (json.loads(p.read_text()) for p in run.results.glob("*-result.json"))}

    control = next(r for name, r in results.items() if name.startswith("Pods whose migration never ran"))
    assert control["status"] == "failed", run.failures()
    message = control["statusDetails"]["message"]
    assert "the rollout did not stall" in message and "never became Ready" in message, message
    pods = attachment(run, control, "Pods: probes, exits, restarts")
    new = [pod for pod in pods if pod["release"].startswith("latest")]
    assert new and not any(pod["ready"] for pod in new), pods
    assert all(pod["startup_probe_failures"] or pod["exit_statuses"] for pod in new), pods
    probe = attachment(run, control, "Probe summary")
    assert "latest" not in probe["served_by_version"], probe  # not one request reached a gated pod
    assert all(window["failed"] == 0 for window in probe["windows"]), probe  # the old pods served throughout

    rollback = next(name for name in verdicts if name.startswith("The documented helm rollback brings 1.0.x"))
    verdict, declared = verdicts[rollback]
    assert (verdict, declared) == ("known defect", ["helm-rollback-to-1.0.9-without-downgrade-stalls"]), (
        verdicts,
        run.failures(),
    )
    assert not suite_processes(workdir)
