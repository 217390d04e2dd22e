"""UPG-06's prober can fail: the recreate control is red because requests failed; the Helm path says why it is skipped.

The rolling scenario itself is part of the gate (tests/integration/test_upgrade_feature.py).
"""

import json
import sys
from pathlib import Path

import pytest

from conftest import ROOT, behave_env, run_behave, suite_processes

pytestmark = pytest.mark.integration


def test_recreate_is_caught_dropping_requests_and_helm_is_skipped_with_its_reason(workdir: Path, no_leftovers):
    run = run_behave(
        workdir, str(ROOT / "features" / "rolling.feature"), "--tags=(@negative-control and not @chart) or @kubernetes"
    )
    assert run.returncode != 0
    assert "0 scenarios passed, 1 failed," in run.output, run.output[
        -4000:
    ]  # the recreate; Helm is skipped (and counted with the unselected)
    assert "No request dropped:\n  no request failed (" in run.output and "-> 503" in run.output
    results = {r["name"]: r for r in (json.loads(p.read_text()) for p in run.results.glob("*-result.json"))}
    recreate = next(r for name, r in results.items() if name.startswith("Recreating"))
    assert recreate["status"] == "failed" and "longest gap between answers" in recreate["statusDetails"]["message"]
    helm = next(r for name, r in results.items() if name.startswith("The Helm release"))
    assert helm["status"] == "skipped"
    reason = next(
        a for s in helm["steps"] for a in s.get("attachments", []) if a["name"] == "Why this scenario was skipped"
    )
    assert "no Kubernetes cluster configured" in (run.results / reason["source"]).read_text()
    assert not suite_processes(workdir)  # and no_leftovers checks PostgreSQL and the balancer's socket


def test_missing_haproxy_stops_the_rolling_path_before_any_work(workdir: Path):
    """No haproxy on PATH and no apt-get to install it with: one line saying what to do."""
    env = {**behave_env(), "PATH": str(Path(sys.executable).parent)}
    run = run_behave(workdir, str(ROOT / "features" / "rolling.feature"), "--tags=@upgrade and not @current", env=env)
    assert run.returncode != 0
    lines = [line for line in run.output.splitlines() if "haproxy is not installed" in line]
    assert len(lines) == 1 and "apt-get install haproxy" in lines[0], run.output
    assert "Traceback" not in run.output and not (run.reports / "timings.jsonl").exists()


def test_a_cluster_without_helm_stops_before_any_work(workdir: Path):
    """The user asked for the cluster path; helm is not on this machine: one line, no skip, no work."""
    cluster = ("-D", "kube_context=prod", "-D", "kube_url=http://gateway.example", "-D", "kube_token=t")
    run = run_behave(workdir, str(ROOT / "features" / "rolling.feature"), "--tags=@kubernetes", *cluster)
    assert run.returncode != 0
    assert (
        len([line for line in run.output.splitlines() if "helm is not installed and -D kube_context asks for" in line])
        == 1
    ), run.output
    assert "Traceback" not in run.output and not (run.reports / "timings.jsonl").exists()
