"""The upstream chart on the node: only the gateway rendered, the releases' environment split as the chart keeps it,
the plan's commands, and the TCP front that stands for the socket the chart cannot mount."""

from __future__ import annotations

import json
import shutil
import socket
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from upgrade_suite.base.config import RolloutSettings
from upgrade_suite.base.errors import SuiteError
from upgrade_suite.cluster import helm
from upgrade_suite.cluster.chart import ChartValues
from upgrade_suite.cluster.upstream import GATEWAY_ONLY, TcpFront, UpstreamRelease, secret_keys, upstream_values

CHART_VALUES = """
mcpContextForge:
  secret:
    JWT_SECRET_KEY: my-test-key-but-now-longer-than-32-bytes
    PLATFORM_ADMIN_PASSWORD: changeme
  config:
    CACHE_TYPE: redis
"""


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    (tmp_path / "chart").mkdir()
    (tmp_path / "chart" / "Chart.yaml").write_text("name: mcp-stack\n")
    (tmp_path / "chart" / "values.yaml").write_text(CHART_VALUES)
    return tmp_path / "chart"


def test_the_environment_goes_where_the_chart_keeps_it_and_the_database_is_the_charts_to_assemble(chart: Path):
    values = ChartValues(
        "suite/gw:1.1.0-abc",
        {
            "DATABASE_URL": "postgresql+psycopg://postgres:@/db?host=/tmp/s",
            "JWT_SECRET_KEY": "k" * 40,
            "CACHE_TYPE": "database",
        },
        migration_image="suite/gw:1.0.9-def",
    )
    chosen = upstream_values("suite", values, ("192.0.2.2", 41000, "upg_1"), secret_keys(chart))
    gateway = chosen["mcpContextForge"]
    assert gateway["secret"] == {"JWT_SECRET_KEY": "k" * 40}  # the chart's weak default is overridden
    assert gateway["config"] == {
        "CACHE_TYPE": "database"
    }  # no DATABASE_URL: the chart builds it from postgres.external
    assert gateway["image"] == {"repository": "suite/gw", "tag": "1.1.0-abc", "pullPolicy": "Never"}
    assert chosen["migration"]["image"]["tag"] == "1.0.9-def" and chosen["migration"]["enabled"] is True
    assert chosen["postgres"]["external"] | {"password": ""} == {
        "enabled": True, "host": "192.0.2.2", "port": 41000, "database": "upg_1", "user": "postgres", "password": "",
    }  # fmt: skip
    assert chosen["redis"] == {"enabled": False} and gateway["metrics"] == {"serviceMonitor": {"enabled": False}}
    assert chosen["global"] == {"fullnameOverride": "suite"} and gateway["service"] == {"type": "NodePort"}
    assert "host" not in GATEWAY_ONLY["postgres"]["external"]  # each release's values are its own copy


def test_install_patches_the_nodeport_and_upgrade_the_strategy_around_the_plans_command(
    tmp_path: Path, chart: Path, monkeypatch
):
    ran: list[list[list[str]]] = []
    monkeypatch.setattr(helm, "execute", lambda commands, timeout, env: ran.append(commands) or "done")
    node = SimpleNamespace(node_ip="192.0.2.2", layout=SimpleNamespace(bin=tmp_path / "bin"), environment=dict)
    front = SimpleNamespace(address="192.0.2.2", port=41000)
    values = {a: ChartValues(f"suite/gw:{a}", {}) for a in ("old", "new")}
    release = UpstreamRelease(chart, front, "upg_1", node, tmp_path / "work", "token", lambda r: values[r.spec.alias])
    named = {a: SimpleNamespace(spec=SimpleNamespace(alias=a, key=a)) for a in values}
    release.install(named["old"], 300)
    release.upgrade(named["new"], 300, named["new"])
    (install, nodeport, status), (strategy, upgrade, _) = ran
    assert install[1:4] == ["install", "suite", str(chart)] and "--wait" not in install
    assert nodeport[-1] == json.dumps({"spec": {"ports": [{"port": 80, "nodePort": 30444}]}})
    assert status[1:3] == ["rollout", "status"]
    assert "maxUnavailable" in strategy[-1] and upgrade[1:4] == ["upgrade", "suite", str(chart)]
    assert "strategy.rollingUpdate.maxSurge=1" in upgrade  # the plan's flags, as it writes them
    assert json.loads(Path(upgrade[5]).read_text())["mcpContextForge"]["image"]["tag"] == "new"


def test_a_chart_directory_is_checked_before_any_work(tmp_path: Path, chart: Path):
    with pytest.raises(SuiteError, match=r"-D helm_chart=.* has no Chart.yaml: give a checkout's charts/mcp-stack"):
        RolloutSettings.from_options({"cluster": "node", "helm_chart": str(tmp_path / "nowhere")})
    assert RolloutSettings.from_options({"cluster": "node", "helm_chart": str(chart)}).upstream_chart == str(chart)
    assert RolloutSettings.from_options({"cluster": "node"}).upstream_chart is None  # the suite's own chart
    assert RolloutSettings.from_options({"helm_chart": "elsewhere"}).upstream_chart is None  # a configured cluster's


@pytest.mark.skipif(shutil.which("socat") is None, reason="socat is not installed (make cluster-setup installs it)")
def test_the_tcp_front_forwards_to_the_socket_and_leaves_nothing_listening(tmp_path: Path):
    path = tmp_path / "s.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen()

    def echo() -> None:  # every connection: the front's own check that it listens comes first
        while True:
            try:
                connection, _ = server.accept()
            except OSError:  # the test closed the server
                return
            connection.sendall(connection.recv(64).upper())
            connection.close()

    threading.Thread(target=echo, daemon=True).start()
    with TcpFront("127.0.0.1", path, tmp_path / "front.log") as front:
        with socket.create_connection(("127.0.0.1", front.port), timeout=5) as client:
            client.sendall(b"select 1")
            assert client.recv(64) == b"SELECT 1"
    with socket.socket() as late:
        assert late.connect_ex(("127.0.0.1", front.port)) != 0
    server.close()


def test_the_tcp_front_refuses_a_missing_socket(tmp_path: Path):
    with pytest.raises(SuiteError, match="no PostgreSQL socket at"):
        TcpFront("127.0.0.1", tmp_path / "none", tmp_path / "front.log").__enter__()
