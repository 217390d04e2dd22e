"""The Helm release on the suite's node: one chart per release, the plan's flags, the rollout waited on."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from upgrade_suite.cluster import helm
from upgrade_suite.cluster.chart import ChartValues
from upgrade_suite.cluster.helm import NodeRelease, state_directory


def _release(alias: str) -> SimpleNamespace:
    return SimpleNamespace(spec=SimpleNamespace(alias=alias, key=alias))


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[list[str]], dict[str, str]]]:
    calls: list[tuple[list[list[str]], dict[str, str]]] = []
    monkeypatch.setattr(helm, "execute", lambda commands, timeout, env: calls.append((commands, env)) or "done")
    return calls


def _release_on(tmp_path: Path) -> NodeRelease:
    node = SimpleNamespace(
        node_ip="10.0.0.5",
        layout=SimpleNamespace(bin=tmp_path / "bin"),
        environment=lambda: {"KUBECONFIG": "/state/admin.kubeconfig"},
    )
    values = {a: ChartValues(f"suite/gw:{a}-tag", {"DATABASE_URL": a}) for a in ("RC1", "GA")}
    return NodeRelease(node, tmp_path / "charts", "token", lambda release: values[release.spec.alias])  # type: ignore[arg-type]


def test_install_then_upgrade_write_each_releases_chart_and_wait_for_the_rollout(tmp_path: Path, ran):
    release = _release_on(tmp_path)
    release.install(_release("RC1"), 300)
    ga = _release("GA")
    release.upgrade(ga, 300, ga)
    (install, status), env = ran[0]
    assert install[1:3] == ["install", "suite"] and "--wait" not in install  # the Job is a post-install hook
    assert status[1:4] == ["rollout", "status", "deployment/suite-mcpgateway"] and status[-1] == "--timeout=300s"
    assert env["KUBECONFIG"] == "/state/admin.kubeconfig" and install[0] == str(tmp_path / "bin" / "helm")
    (upgrade, _), _ = ran[1]
    assert upgrade[1:3] == ["upgrade", "suite"] and "strategy.rollingUpdate.maxSurge=1" in upgrade
    assert "--reuse-values" not in upgrade  # the new release's chart, not the old one's values
    values = json.loads((Path(upgrade[3]) / "values.yaml").read_text())
    assert values["mcpContextForge"]["image"]["tag"] == values["migration"]["image"]["tag"] == "GA-tag"
    assert release.url == "http://10.0.0.5:30444" and release.image_label(_release("GA")) == "GA-tag"


def test_an_upgrade_can_leave_the_jobs_image_behind_or_the_job_out(tmp_path: Path, ran):
    release = _release_on(tmp_path)
    release.upgrade(_release("GA"), 300, _release("RC1"))
    release.upgrade(_release("GA"), 300, None)
    skewed, without = (json.loads((Path(run[0][0][3]) / "values.yaml").read_text()) for run in ran)
    assert skewed["mcpContextForge"]["image"]["tag"] == "GA-tag" and skewed["migration"]["image"]["tag"] == "RC1-tag"
    assert without["migration"]["enabled"] is False and skewed["migration"]["enabled"] is True


def test_rollback_runs_the_downgrade_in_a_new_pod_first_only_when_asked(tmp_path: Path, ran):
    release = _release_on(tmp_path)
    release.rollback(_release("RC1"), "12d4a0c7789c", 300)
    release.rollback(_release("RC1"), None, 300)
    downgrade, rollback, _ = ran[0][0]
    assert downgrade[1:3] == ["exec", "deployment/suite-mcpgateway"] and downgrade[-2:] == ["downgrade", "12d4a0c7789c"]
    assert rollback[1:] == ["rollback", "suite"]
    assert [command[1] for command in ran[1][0]] == ["rollback", "rollout"]


def test_the_state_directory_is_short_and_removed_after():
    with state_directory() as state:
        (state / "x").write_text("")
        assert len(str(state)) < 40
    assert not state.exists()
