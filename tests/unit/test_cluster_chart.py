"""The chart the suite writes carries the upstream chart's facts: names, hooks, probes, two image values."""

import json
from pathlib import Path

from upgrade_suite.cluster.chart import NODE_PORT, ChartValues, write_chart
from upgrade_suite.services.chart import POD_ENVIRONMENT, READINESS, STARTUP


def values(**kwargs) -> dict:
    return ChartValues("gateway-upgrade-suite/mcp-context-forge:1.1.0-k-r2", {"DATABASE_URL": "x"}, **kwargs).render()


def test_the_pods_probe_and_skip_migrations_as_the_upstream_chart_does():
    rendered = values()
    startup, readiness = rendered["probes"]["startup"], rendered["probes"]["readiness"]
    assert startup["command"] == ["python3", "-m", "mcpgateway.utils.check_schema_at_head"]
    assert (startup["initialDelaySeconds"], startup["periodSeconds"], startup["timeoutSeconds"]) == (
        STARTUP.initial_delay, STARTUP.period, STARTUP.timeout
    )  # fmt: skip
    assert (readiness["failureThreshold"], readiness["timeoutSeconds"]) == (READINESS.failure_threshold, 70)
    assert rendered["mcpContextForge"]["podEnv"] == POD_ENVIRONMENT  # pods skip; the Job does not get it
    assert rendered["strategy"] == {} and rendered["replicaCount"] == 2  # Kubernetes' default, as upstream
    assert rendered["nodePort"] == NODE_PORT


def test_the_migration_jobs_image_is_a_value_of_its_own_defaulting_to_the_gateways():
    same = values()["migration"]["image"]
    assert same == {"repository": "gateway-upgrade-suite/mcp-context-forge", "tag": "1.1.0-k-r2", "pullPolicy": "Never"}
    skewed = values(migration_image="gateway-upgrade-suite/mcp-context-forge:1.0.9-k-r2")["migration"]["image"]
    assert skewed["tag"] == "1.0.9-k-r2"
    assert values()["migration"]["command"] == ["python3", "-m", "mcpgateway.bootstrap_db"]


def test_the_chart_is_written_with_upstream_names_and_the_jobs_hooks(tmp_path: Path):
    chart = write_chart(tmp_path / "chart", ChartValues("r/g:t", {}, host_paths=("/tmp/upgpg-x",)))
    templates = {path.name: path.read_text() for path in (chart / "templates").iterdir()}
    assert "name: {{ .Release.Name }}-mcpgateway" in templates["deployment-mcpgateway.yaml"]
    assert '"helm.sh/hook": post-install,pre-upgrade' in templates["job-migration.yaml"]
    assert json.loads((chart / "values.yaml").read_text())["hostPaths"] == [{"name": "host-0", "path": "/tmp/upgpg-x"}]
    assert (chart / "Chart.yaml").read_text().startswith("apiVersion: v2\nname: mcp-stack\n")


def test_each_release_gets_the_chart_of_its_time(tmp_path: Path):
    from types import SimpleNamespace

    def release(*files: str) -> SimpleNamespace:
        package = tmp_path / str(len(files)) / "mcpgateway"
        (package / "utils").mkdir(parents=True)
        (package / "alembic.ini").write_text("")
        for name, text in (("bootstrap_db.py", ""), *files):
            (package / name).write_text(text)
        return SimpleNamespace(alembic_ini=package / "alembic.ini")

    modern = release(("utils/check_schema_at_head.py", ""), ("bootstrap_db.py", "MCPGATEWAY_SKIP_MIGRATIONS"))
    gated = ChartValues.of_release(modern, "r/g:1.1.0", {}).render()
    assert gated["probes"]["startup"]["command"][-1] == "mcpgateway.utils.check_schema_at_head"
    assert gated["mcpContextForge"]["podEnv"] == POD_ENVIRONMENT and gated["upstreamChart"].endswith("1.0.8")
    older = ChartValues.of_release(release(), "r/g:1.0.0", {}, ("/run/pg",)).render()
    assert older["probes"]["startup"]["command"][:3] == ["python3", "-m", "mcpgateway.utils.db_isready"]
    assert older["mcpContextForge"]["podEnv"] == {} and older["upstreamChart"].endswith("1.0.0")
    assert older["probes"]["startup"]["timeoutSeconds"] == 10 and older["hostPaths"][0]["path"] == "/run/pg"
