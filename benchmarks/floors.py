"""The raw floor: what a bare script does for the same work, and the suite run as a user runs it.

``bare_start``/``bare_stop`` start a release with nothing but Popen and a /health poll; ``floor`` is one bare
RC1 -> GA upgrade, ``rolling_floor`` a bare rolling one; ``behave`` runs the suite in a scratch directory and
reads the records it wrote; ``standalone`` runs one bench section alone. Shared by ``bench`` and its sections
(``matrix_bench``, ``scale_bench``), which import this module and never each other.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

from upgrade_suite.base.sandbox import free_port
from upgrade_suite.client.api import GatewayApi, mint_token
from upgrade_suite.client.dataset import Dataset, seed
from upgrade_suite.judging.evidence import Stopwatch
from upgrade_suite.services.database import PostgresDatabase, PostgresServer, SqliteDatabase
from upgrade_suite.services.gateway import GatewaySecrets, gateway_environment
from upgrade_suite.services.mcp_fixture import McpServerFixture
from upgrade_suite.services.migrations import Migrations

ROOT = Path(__file__).resolve().parent.parent

BEHAVE = Path(sys.executable).parent / "behave"


#: Bare gateways started and not yet stopped: ``bare_gateways()`` stops them when a measurement fails.
_RUNNING: list[subprocess.Popen] = []


def bare_start(release, environment: dict[str, str], workdir: Path) -> tuple[subprocess.Popen, str]:
    """Start a gateway with nothing but Popen and a /health poll (what a bare script does)."""
    port = free_port()
    log = (workdir / f"{release.version}-{port}.log").open("wb")
    process = subprocess.Popen(
        [str(release.bin("mcpgateway")), "--host", "127.0.0.1", "--port", str(port)],
        cwd=workdir,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    _RUNNING.append(process)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if (
                httpx.get(f"{url}/health", timeout=2).json().get("status") == "healthy"
                and httpx.get(f"{url}/ready", timeout=2).json().get("status") == "ready"
            ):
                return process, url
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.1)
    raise SystemExit(f"bare start of {release.version} timed out")


def bare_stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    _RUNNING.remove(process)


@contextmanager
def bare_gateways() -> Iterator[None]:
    """Whatever happens inside, no bare gateway is left running after it (a failed or interrupted measurement)."""
    try:
        yield
    finally:
        for process in list(_RUNNING):
            bare_stop(process)


def floor(
    engine: str, rc1, ga, mcp: McpServerFixture, server: PostgresServer | None, workdir: Path, back: bool = False
) -> dict[str, float]:
    """One bare RC1 -> GA upgrade (the plan's procedure), each phase timed; ``back``: then GA's Alembic down to RC1's
    head and RC1 served again (a matrix back cell's floor). Phases are named by the releases' aliases."""
    secrets = GatewaySecrets()
    phases: dict[str, float] = {}
    timed = Stopwatch(phases)
    with SqliteDatabase(workdir) if engine == "sqlite" else PostgresDatabase(server, workdir) as database:

        def serve(release, environment: dict[str, str], again: str = "") -> None:
            """Start it, mint a token, one list call, stop it: the least that proves a release serves the data."""
            name = release.spec.alias + again
            process, url = timed(f"start {name}", lambda: bare_start(release, environment, workdir))
            token = timed(
                f"mint token {name}", lambda: mint_token(release, environment, secrets.admin_email, secrets.jwt_secret)
            )
            with GatewayApi(url, token, 30) as api:
                timed(f"one list call {name}", lambda: api.list("tools"))
            timed(f"stop {name}", lambda: bare_stop(process))

        rc1_env = gateway_environment(rc1, database.url_for(rc1), secrets, workdir)
        process, url = timed(f"start {rc1.spec.alias}", lambda: bare_start(rc1, rc1_env, workdir))
        token = timed(
            f"mint token {rc1.spec.alias}", lambda: mint_token(rc1, rc1_env, secrets.admin_email, secrets.jwt_secret)
        )
        with GatewayApi(url, token, 30) as api:
            timed("seed", lambda: seed(api, mcp.url, Dataset(), secrets.admin_password))
        timed(f"stop {rc1.spec.alias}", lambda: bare_stop(process))
        ga_env = gateway_environment(ga, database.url_for(ga), secrets, workdir)
        run = timed("alembic upgrade head", lambda: Migrations(ga, ga_env, workdir, 600).upgrade("head"))
        assert run.ok, run.output[-500:]
        serve(ga, ga_env)
        if back:
            run = timed("alembic downgrade", lambda: Migrations(ga, ga_env, workdir, 600).downgrade(rc1.head))
            assert run.ok, run.output[-500:]
            serve(rc1, rc1_env, " again")
    phases["total"] = round(sum(phases.values()), 3)
    return phases


def rolling_floor(
    rc1, ga, mcp: McpServerFixture, server: PostgresServer, workdir: Path, replicas: int = 3
) -> dict[str, float]:
    """A bare rolling RC1 -> GA on PostgreSQL: seed once, N RC1 at once, GA's Alembic, then start one GA, stop one
    RC1, N times."""
    secrets = GatewaySecrets()
    phases: dict[str, float] = {}
    with PostgresDatabase(server, workdir) as database, ThreadPoolExecutor(replicas) as pool:
        rc1_env = gateway_environment(rc1, database.url_for(rc1), secrets, workdir)
        ga_env = gateway_environment(ga, database.url_for(ga), secrets, workdir)
        started = time.monotonic()
        process, url = bare_start(rc1, rc1_env, workdir)
        with GatewayApi(url, mint_token(rc1, rc1_env, secrets.admin_email, secrets.jwt_secret), 30) as api:
            seed(api, mcp.url, Dataset(), secrets.admin_password)
        bare_stop(process)
        phases["start RC1, seed, stop"] = round(time.monotonic() - started, 3)
        started = time.monotonic()
        old = [process for process, _ in pool.map(lambda _: bare_start(rc1, rc1_env, workdir), range(replicas))]
        phases[f"start {replicas} RC1 at once"] = round(time.monotonic() - started, 3)
        started = time.monotonic()
        assert Migrations(ga, ga_env, workdir, 600).upgrade("head").ok
        new = []
        for process in old:
            new.append(bare_start(ga, ga_env, workdir)[0])
            bare_stop(process)
        phases["alembic, then start one GA and stop one RC1 per replica"] = round(time.monotonic() - started, 3)
        for process in new:
            bare_stop(process)
    phases["total"] = round(sum(phases.values()), 3)
    return phases


def behave(workdir: Path, *args: str) -> tuple[float, list[dict[str, Any]]]:
    """Run the suite as a user would; wall time and the per-scenario records it wrote."""
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "behave.ini", workdir / "behave.ini")
    started = time.monotonic()
    result = subprocess.run(
        [str(BEHAVE), *args], cwd=workdir, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True
    )
    wall = time.monotonic() - started
    if result.returncode != 0:
        print(result.stdout[-3000:], file=sys.stderr)
        raise SystemExit(f"behave {' '.join(args)} failed")
    timings = workdir / "reports" / "timings.jsonl"
    return wall, [json.loads(line) for line in timings.read_text().splitlines()]


def standalone(
    name: str,
    out: str,
    postgres: bool,
    measure: Callable[[McpServerFixture, PostgresServer | None, Path], dict[str, Any]],
    render: Callable[[dict[str, Any]], str],
) -> None:
    """A bench section run alone: fixtures in a scratch directory removed after, ``<out>/<name>.json``, its table."""
    scratch = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    try:
        with ExitStack() as stack:
            mcp = stack.enter_context(McpServerFixture(scratch / "mcp.log"))
            server = stack.enter_context(PostgresServer()) if postgres else None
            stack.enter_context(bare_gateways())
            result = measure(mcp, server, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    Path(out).mkdir(parents=True, exist_ok=True)
    (Path(out) / f"{name}.json").write_text(json.dumps(result, indent=2))
    print(render(result))
