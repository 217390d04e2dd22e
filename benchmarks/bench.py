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
import shutil
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from benchmarks import matrix_bench, scale_bench
from benchmarks.floors import ROOT, bare_gateways, behave, floor, rolling_floor
from upgrade_suite.base.config import SuiteConfig
from upgrade_suite.releases.pypi import PyPIReleases
from upgrade_suite.releases.specs import resolve
from upgrade_suite.releases.venvs import ReleaseCache
from upgrade_suite.services.database import PostgresServer
from upgrade_suite.services.mcp_fixture import McpServerFixture


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
                results["scale"] = scale_bench.measure("RC1", "GA", options.scale_rows, mcp, server, scratch)
            if options.matrix:
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
        lines += ["", matrix_bench.render(results["matrix"])]
    if "scale" in results:
        lines += ["", scale_bench.render(results["scale"])]
    for scale, phases in results.get("populated", {}).items():
        lines.append(f"UPG-03 at {scale} rows (SQLite): " + ", ".join(f"{k}={v:.1f}" for k, v in phases.items()))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
