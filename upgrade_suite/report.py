"""Report metadata written next to the Allure results before the HTML is generated.

environment.properties (versions under test with their Alembic heads, engines, Python, platform)
and executor.json (who ran it, and the CI build when there is one), from the measured runs in
reports/timings.jsonl; the runbook is regenerated alongside. ``python -m upgrade_suite.report``.
"""

from __future__ import annotations

import getpass
import json
import os
import platform
import socket
import sys
from pathlib import Path

from . import runbook


def environment(records: list[dict]) -> dict[str, str]:
    """What was tested, as Allure's environment widget lists it."""
    out: dict[str, str] = {"python": platform.python_version(), "platform": platform.platform()}
    for record in records:
        for alias, label in record.get("releases", {}).items():
            out[f"release.{alias}"] = label
        for alias, heads in record.get("heads", {}).items():
            out[f"alembic_head.{alias}"] = heads
    engines = sorted({tag for r in records for tag in r.get("tags", []) if tag in runbook.ENGINES})
    out["databases"] = ", ".join(runbook.ENGINES[e] for e in engines) or "none run"
    return out


def executor() -> dict[str, str]:
    """Who ran the suite where; a CI system's build link when the environment names one."""
    build = os.environ.get("BUILD_URL") or (
        f"{os.environ['GITHUB_SERVER_URL']}/{os.environ['GITHUB_REPOSITORY']}/actions/runs/{os.environ['GITHUB_RUN_ID']}"
        if os.environ.get("GITHUB_RUN_ID") else ""
    )
    return {"name": f"{getpass.getuser()}@{socket.gethostname()}", "type": "ci" if os.environ.get("CI") else "local", "buildUrl": build}


def main(reports: Path) -> None:
    results = reports / "allure-results"
    if not results.is_dir():
        raise SystemExit(f"no Allure results in {results}: run the features first (make upgrade)")
    source = reports / "timings.jsonl"
    records = [json.loads(line) for line in source.read_text().splitlines()] if source.exists() else []
    (results / "environment.properties").write_text("".join(f"{k} = {v}\n" for k, v in sorted(environment(records).items())))
    (results / "executor.json").write_text(json.dumps(executor(), indent=2))
    runbook.main(reports)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "reports"))
