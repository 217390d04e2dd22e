"""make bench: the suite's cost beside the raw floor, measured in the same run.

The floor is what a bare script must do for the same upgrade: start RC1, seed the same data,
stop it, run GA's ``alembic upgrade head``, start GA, one list call. The suite's number for a
scenario is its own duration from a behave run (reports/timings.jsonl); the ratio is suite/floor.
Also: cold and warm release provisioning, UPG-03 at 10k and 100k rows (SQLite) and at a million on PostgreSQL
beside its own floor (scale_bench.py), the upgrade features
as a whole against the sum of their scenarios' floors, and the matrix over a small range against
the sum of its cells' floors, serially and two shards at once (matrix_bench.py). Results: reports/bench/bench.json and a
table on stdout. No thresholds: this measures, the reader judges.
"""

from __future__ import annotations

import argparse
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

from upgrade_suite.api import GatewayApi, mint_token
from upgrade_suite.config import SuiteConfig
from upgrade_suite.database import PostgresDatabase, PostgresServer, SqliteDatabase
from upgrade_suite.dataset import Dataset, seed
from upgrade_suite.evidence import Stopwatch
from upgrade_suite.gateway import GatewaySecrets, gateway_environment
from upgrade_suite.mcp_fixture import McpServerFixture
from upgrade_suite.migrations import Migrations
from upgrade_suite.pypi import PyPIReleases
from upgrade_suite.releases import resolve
from upgrade_suite.sandbox import free_port
from upgrade_suite.venvs import ReleaseCache

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


def provisioning(config: SuiteConfig) -> dict[str, dict[str, float]]:
    """Cold (venv built into an empty cache) and warm (reused) provisioning per release."""
    index = PyPIReleases(config.cache_dir)
    out = {}
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as cold:
        cache = ReleaseCache(Path(cold), 900)
        for alias in ("RC1", "GA"):
            spec = resolve(alias, config.releases[alias], index)
            started = time.monotonic()
            cache.provision(spec)
            cold_s = time.monotonic() - started
            started = time.monotonic()
            cache.provision(spec)
            out[alias] = {"cold": round(cold_s, 2), "warm": round(time.monotonic() - started, 4)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scales", default="10000,100000", help="UPG-03 scales to measure (comma separated, empty to skip)"
    )
    parser.add_argument(
        "--scale-rows", type=int, default=1_000_000, help="UPG-03 on PostgreSQL at this size beside its floor (0: not)"
    )
    parser.add_argument("--matrix", default="1.0.10..1.1.0", help="FROM..TO of the matrix measured (empty to skip)")
    parser.add_argument("--matrix-jobs", type=int, default=2, help="also the matrix with make matrix JOBS=N (1: not)")
    parser.add_argument("--out", default=str(ROOT / "reports" / "bench"))
    options = parser.parse_args()
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    config = SuiteConfig.from_userdata({})
    index = PyPIReleases(config.cache_dir)
    cache = ReleaseCache(config.cache_dir, 900)
    rc1, ga = (cache.provision(resolve(a, config.releases[a], index)) for a in ("RC1", "GA"))
    results: dict[str, Any] = {"releases": {"RC1": rc1.version, "GA": ga.version}, "provisioning": provisioning(config)}

    scratch = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        with ExitStack() as stack:
            mcp = stack.enter_context(McpServerFixture(scratch / "mcp.log"))
            server = stack.enter_context(PostgresServer())
            stack.enter_context(bare_gateways())
            results["floor"] = {
                engine: floor(engine, rc1, ga, mcp, server, scratch / f"floor-{engine}")
                for engine in ("sqlite", "postgresql")
            }
            results["rolling_floor"] = rolling_floor(rc1, ga, mcp, server, scratch / "floor-rolling")
            if options.scale_rows:
                from benchmarks import scale_bench  # it builds on this module's bare start and behave run

                results["scale"] = scale_bench.measure("RC1", "GA", options.scale_rows, mcp, server, scratch)
            if options.matrix:
                from benchmarks import matrix_bench  # it builds on this module's floor

                first, _, last = options.matrix.partition("..")
                results["matrix"] = matrix_bench.measure(first, last, "sqlite", options.matrix_jobs, mcp, None, scratch)
        results["suite"] = {}
        for engine, tag in (("sqlite", "@sqlite"), ("postgresql", "@postgres")):
            wall, records = behave(
                scratch / f"suite-{engine}",
                str(ROOT / "features" / "upgrade.feature"),
                "--tags",
                f"@UPG-01 and {tag}",
                "--name",
                "with Alembic",
            )
            results["suite"][engine] = {
                "scenario": records[0]["seconds"],
                "wall": round(wall, 2),
                "phases": records[0]["phases"],
            }
        wall, records = behave(
            scratch / "upgrade-features",
            str(ROOT / "features" / "upgrade.feature"),
            "--tags",
            "@UPG-01 and not @product-defect",
        )
        engines = ["postgresql" if "postgres" in r["tags"] else "sqlite" for r in records]
        results["upgrade_features"] = {
            "scenarios": len(records),
            "wall": round(wall, 2),
            "sum_of_scenarios": round(sum(r["seconds"] for r in records), 2),
            "sum_of_floors": round(sum(results["floor"][e]["total"] for e in engines), 2),
        }
        wall, records = behave(scratch / "rolling", str(ROOT / "features" / "rolling.feature"), "--tags", "@upgrade")
        results["rolling"] = {"scenario": records[0]["seconds"], "wall": round(wall, 2), "phases": records[0]["phases"]}
        results["populated"] = {}
        for scale in [int(s) for s in options.scales.split(",") if s]:
            _, records = behave(
                scratch / f"populated-{scale}",
                str(ROOT / "features" / "upgrade.feature"),
                "--tags",
                "@UPG-03 and @sqlite",
                "-D",
                f"scale={scale}",
            )
            results["populated"][scale] = {p["phase"]: p["seconds"] for p in records[0]["phases"]} | {
                "scenario": records[0]["seconds"]
            }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    (out / "bench.json").write_text(json.dumps(results, indent=2))
    print(render(results))


def render(results: dict[str, Any]) -> str:
    lines = [
        f"Releases: RC1 {results['releases']['RC1']}, GA {results['releases']['GA']}",
        "",
        "Provisioning (s)      cold    warm",
    ]
    lines += [f"  {alias:<18}{p['cold']:>6.2f}  {p['warm']:>6.3f}" for alias, p in results["provisioning"].items()]
    lines += ["", "UPG-01 RC1->GA, Alembic procedure    suite (s)  floor (s)  ratio"]
    for engine, suite in results["suite"].items():
        floor_total = results["floor"][engine]["total"]
        lines.append(
            f"  {engine:<35}{suite['scenario']:>8.2f}  {floor_total:>9.2f}  {suite['scenario'] / floor_total:>5.2f}"
        )
    lines += ["", "Floor phases (s):"]
    for engine, phases in results["floor"].items():
        lines.append(f"  {engine}: " + ", ".join(f"{k}={v}" for k, v in phases.items()))
    upgrades = results["upgrade_features"]
    lines += [
        "",
        f"UPG-01, every procedure and database ({upgrades['scenarios']} scenarios in one run):",
        f"  behave wall {upgrades['wall']:.1f} s, sum of scenarios {upgrades['sum_of_scenarios']:.1f} s, sum of "
        f"their floors {upgrades['sum_of_floors']:.1f} s, ratio {upgrades['wall'] / upgrades['sum_of_floors']:.2f}",
    ]
    rolling, rolling_floor_total = results["rolling"], results["rolling_floor"]["total"]
    measured = sum(p["seconds"] for p in rolling["phases"] if p["phase"].startswith("probe baseline"))
    lines += [
        "",
        "UPG-06 rolling RC1->GA, 3 replicas (PostgreSQL)     suite (s)  floor (s)  ratio",
        f"  scenario{'':<42}{rolling['scenario']:>8.2f}  {rolling_floor_total:>9.2f}  "
        f"{rolling['scenario'] / rolling_floor_total:>5.2f}",
        f"  without the measurement windows (baseline {measured:.1f} s)  {rolling['scenario'] - measured:>8.2f}  "
        f"{rolling_floor_total:>9.2f}  {(rolling['scenario'] - measured) / rolling_floor_total:>5.2f}",
        "  floor phases: " + ", ".join(f"{k}={v}" for k, v in results["rolling_floor"].items()),
    ]
    if "matrix" in results:
        from benchmarks import matrix_bench

        lines += ["", matrix_bench.render(results["matrix"])]
    if "scale" in results:
        from benchmarks import scale_bench

        lines += ["", scale_bench.render(results["scale"])]
    for scale, phases in results.get("populated", {}).items():
        lines.append(f"UPG-03 at {scale} rows (SQLite): " + ", ".join(f"{k}={v:.1f}" for k, v in phases.items()))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
