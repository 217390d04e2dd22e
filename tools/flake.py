"""make flake: run the SQLite smoke scenarios N times in a row and report any verdict that changed.

A flaky acceptance suite is worse than none on release day: the same releases must give the same
verdict every time. Each run gets its own working directory (its own reports, sandboxes, ports).
Exit status 1 when any scenario's verdict differed between runs. Over the hazards and faults
(``make flake ARGS="--tags=@killed-migration features/hazards.feature"``) it also prints each fault
injector's hit rate: of its attempts, how many landed where they had to (a miss is retried, or the
scenario is inconclusive, never a verdict).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEHAVE = Path(sys.executable).parent / "behave"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tags", default="@sqlite and not @product-defect")
    parser.add_argument("paths", nargs="*", default=[str(ROOT / "features" / "upgrade.feature")])
    options = parser.parse_args()
    options.paths = [str(Path(path).resolve()) for path in options.paths]  # each run works in a directory of its own
    verdicts: dict[str, list[str]] = defaultdict(list)
    attempts: dict[str, list[bool]] = defaultdict(list)  # fault kind -> each attempt, landed or not
    walls = []
    scratch = Path(tempfile.mkdtemp(prefix="flake-"))
    try:
        for index in range(1, options.runs + 1):
            workdir = scratch / f"run-{index}"
            workdir.mkdir()
            shutil.copy(ROOT / "behave.ini", workdir / "behave.ini")
            started = time.monotonic()
            subprocess.run(
                [str(BEHAVE), *options.paths, f"--tags={options.tags}"],
                cwd=workdir,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            walls.append(time.monotonic() - started)
            timings = workdir / "reports" / "timings.jsonl"
            for line in timings.read_text().splitlines() if timings.exists() else []:
                record = json.loads(line)
                verdicts[record["scenario"]].append(record["status"])
                for fault in record.get("faults", []):
                    attempts[fault["fault"]].append(bool(fault.get("landed", True)))
            print(f"run {index}/{options.runs}: {walls[-1]:.1f} s", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if not verdicts:  # nothing ran: no verdict to compare is not a stable suite
        print(f"flake: no scenario ran ({' '.join(options.paths)} --tags={options.tags}): check the path and tags")
        return 2
    changed = {name: runs for name, runs in verdicts.items() if len(set(runs)) > 1 or len(runs) != options.runs}
    print(f"\n{len(verdicts)} scenarios x {options.runs} runs, run time {min(walls):.1f}-{max(walls):.1f} s")
    for name, runs in sorted(verdicts.items()):
        print(f"  {'CHANGED' if name in changed else 'stable '}  {'/'.join(runs):<40} {name}")
    for kind, landed in sorted(attempts.items()):
        print(f"fault hit rate: {kind}: {sum(landed)} of {len(landed)} attempts landed")
    print(f"{len(changed)} changed verdict(s)")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
