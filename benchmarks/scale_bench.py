"""make bench's scale section: UPG-03 at a million rows on PostgreSQL beside its bare floor, same run.

The floor is what a plain script must do to answer the same question: bootstrap the old release's schema,
populate the same rows the same way (its populate probe, production profile), start it, seed the fixture, stop
it, count the rows and take the template copy, run the new release's ``alembic upgrade head``, run the same
in-database checksum queries, start the new release and stop it, one after the other. The scenario adds what
the suite checks on top (the pre-upgrade backup, the API snapshots, the sampled paging, the services): its
ratio to the floor is the price of those checks. The same run also makes the scenario's API calls bare, timed
apart (``same_reads``): against that second floor what is left is the suite's own work, since at a million
rows most of the checks' price is the new release answering them. Alone: ``python -m benchmarks.scale_bench``;
``make bench`` includes it.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from benchmarks.floors import ROOT, bare_start, bare_stop, behave, standalone
from upgrade_suite.base.config import SuiteConfig
from upgrade_suite.client.api import KINDS, GatewayApi, mint_token
from upgrade_suite.client.dataset import Dataset, populate, seed
from upgrade_suite.judging.at_scale import API_SAMPLE, PAGED_SAMPLE, profile
from upgrade_suite.judging.evidence import Stopwatch
from upgrade_suite.judging.rows import compare_rows, counted, row_check
from upgrade_suite.judging.schema import bootstrap_fresh
from upgrade_suite.releases.pypi import PyPIReleases
from upgrade_suite.releases.specs import Release, resolve
from upgrade_suite.releases.venvs import ReleaseCache
from upgrade_suite.services.database import PostgresDatabase, PostgresServer
from upgrade_suite.services.gateway import GatewaySecrets, gateway_environment
from upgrade_suite.services.mcp_fixture import McpServerFixture
from upgrade_suite.services.migrations import Migrations

ROWS = 1_000_000
#: The bare script's phases that make the scenario's API calls: timed, and left out of the issue's floor.
READS = "the same API reads,"


def floor(
    old: Release, new: Release, rows: int, mcp: McpServerFixture, server: PostgresServer, workdir: Path
) -> dict[str, Any]:
    """The bare script, each phase timed; also whether its comparison found every row unchanged."""
    secrets, phases = GatewaySecrets(), dict[str, float]()
    timed = Stopwatch(phases)

    workdir.mkdir(parents=True, exist_ok=True)
    with PostgresDatabase(server, workdir) as database:
        old_env = gateway_environment(old, database.url_for(old), secrets, workdir)
        timed("bootstrap", lambda: bootstrap_fresh(old, old_env, workdir, 600))
        timed("populate", lambda: populate(old, old_env, workdir, rows, 2400, profile(rows)))
        process, url = timed(f"start {old.spec.alias}", lambda: bare_start(old, old_env, workdir))
        token = timed("mint token", lambda: mint_token(old, old_env, secrets.admin_email, secrets.jwt_secret))
        with GatewayApi(url, token, 60) as api:
            timed("seed", lambda: seed(api, mcp.url, Dataset(), secrets.admin_password))
            timed(f"{READS} {old.spec.alias}", lambda: [api.list(kind, API_SAMPLE) for kind in KINDS])
        timed(f"stop {old.spec.alias}", lambda: bare_stop(process))
        counts = timed("count", lambda: counted(database))
        check = timed("template copy", lambda: row_check(database))
        new_env = gateway_environment(new, database.url_for(new), secrets, workdir)
        migrated = timed("alembic upgrade head", lambda: Migrations(new, new_env, workdir, 1200).upgrade("head"))
        # One thing at a time, before the new release starts, as the scenario compares.
        compared = timed("checksum queries", lambda: compare_rows(counts, check, old.version, new.version))
        process, url = timed(f"start {new.spec.alias}", lambda: bare_start(new, new_env, workdir))
        token = mint_token(new, new_env, secrets.admin_email, secrets.jwt_secret)
        with GatewayApi(url, token, 60) as api:
            timed(f"{READS} {new.spec.alias}", lambda: same_reads(api, database))
        timed(f"stop {new.spec.alias}", lambda: bare_stop(process))
    issue_floor = round(sum(v for k, v in phases.items() if not k.startswith(READS)), 3)
    phases["total"], phases["total with the same API reads"] = issue_floor, round(sum(phases.values()), 3)
    return {"phases": phases, "migrated": migrated.ok, "rows_unchanged": compared.ok, "rows": sum(counts.values())}


def same_reads(api: GatewayApi, database: PostgresDatabase) -> None:
    """The API calls UPG-03 at scale makes of the new release, made bare (no comparison, no evidence): the sampled
    snapshot, the cursor paging and reads by id, and the services' calls. What is left of the scenario's time
    beyond these is the suite's own work."""
    for kind in KINDS:
        api.list(kind, API_SAMPLE)
    with database.engine() as engine, engine.connect() as connection:
        for kind in ("tools", "servers", "resources", "prompts"):
            api.paginated_ids(kind, limit=PAGED_SAMPLE)
            stored = connection.exec_driver_sql(f'SELECT id FROM "{kind}" ORDER BY id LIMIT 20').scalars().all()
            for object_id in stored if kind != "prompts" else ():  # one another user keeps private answers 404
                api.read(kind, str(object_id))
    api.request("GET", "/health")
    for kind in KINDS:
        api.list(kind)
    api.rpc_tools()
    created = api.create(
        "tools",
        {"name": "bare_tool", "url": "http://127.0.0.1:9/bare", "integration_type": "REST", "request_type": "GET"},
    )
    api.get("tools", created["id"])


def measure(
    old_alias: str, new_alias: str, rows: int, mcp: McpServerFixture, server: PostgresServer, scratch: Path
) -> dict[str, Any]:
    """The floor, then the scenario (UPG-03 on PostgreSQL for that pair at ``rows``), in the same run."""
    config = SuiteConfig.from_userdata({})
    index, cache = PyPIReleases(config.cache_dir), ReleaseCache(config.cache_dir, 900)
    old, new = (cache.provision(resolve(a, config.releases[a], index)) for a in (old_alias, new_alias))
    bare = floor(old, new, rows, mcp, server, scratch / "scale-floor")
    name = f"A fully populated {old_alias} database upgrades to {new_alias}"
    wall, records = behave(
        scratch / "scale-scenario",
        str(ROOT / "features" / "upgrade.feature"),
        "--tags=@UPG-03 and @postgres",
        f"--name={name}",
        "-D",
        f"scale={rows}",
    )
    scenario = records[0]
    return {
        "pair": f"{old.spec.label} -> {new.spec.label}",
        "rows": rows,
        "floor": bare,
        "scenario": {
            "seconds": scenario["seconds"],
            "wall": round(wall, 2),
            "phases": scenario["phases"],
            "api": scenario["api"],
        },
    }


def render(result: dict[str, Any]) -> str:
    floor_s, scenario_s = result["floor"]["phases"]["total"], result["scenario"]["seconds"]
    reads_s = result["floor"]["phases"]["total with the same API reads"]
    lines = [
        f"UPG-03 at {result['rows']:,} rows, PostgreSQL, {result['pair']}    scenario (s)  floor (s)  ratio",
        f"  {'':<52}{scenario_s:>8.1f}  {floor_s:>9.1f}  {scenario_s / floor_s:>5.2f}",
        f"  {'the floor with the same API reads, made bare':<52}{scenario_s:>8.1f}  {reads_s:>9.1f}  "
        f"{scenario_s / reads_s:>5.2f}",
        "  floor phases: " + ", ".join(f"{k}={v}" for k, v in result["floor"]["phases"].items()),
        "  scenario phases: " + ", ".join(f"{p['phase']}={p['seconds']}" for p in result["scenario"]["phases"]),
        "  scenario's API calls, answered in: "
        + ", ".join(
            f"{a['gateway']} {a['calls']} calls {a['answering_s']} s (slowest {a['slowest'][0]} s, {a['slowest'][1]})"
            for a in result["scenario"]["api"]
        ),
        f"  floor: {result['floor']['rows']:,} rows counted, migrated {result['floor']['migrated']}, "
        f"every row unchanged {result['floor']['rows_unchanged']}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--pair", default="RC1..GA", help="OLD..NEW aliases")
    parser.add_argument("--out", default=str(ROOT / "reports" / "bench"))
    options = parser.parse_args()
    old, _, new = options.pair.partition("..")

    def measured(mcp: McpServerFixture, server: PostgresServer | None, scratch: Path) -> dict[str, Any]:
        assert server is not None
        return measure(old, new, options.rows, mcp, server, scratch)

    standalone("scale", options.out, True, measured, render)


if __name__ == "__main__":
    main()
