"""``make scale``: Alembic's cost per revision at 10k, 100k and 1M rows, on SQLite and PostgreSQL.

``python -m upgrade_suite.scale [--rows 10000,100000,1000000] [--engines sqlite,postgresql]
[--pairs GA:latest,RC1:GA]``.
Every point gets its own database, dropped after it; the releases and the embedded PostgreSQL are the suite's
own (the same cache and interpreters as behave's runs). Exit status 1 when a point failed (Alembic's error, rows
lost or changed): its numbers are still written, with the reason, and its work directory is kept.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from upgrade_suite.base.config import SuiteConfig
from upgrade_suite.base.errors import SuiteError
from upgrade_suite.base.progress import console
from upgrade_suite.lab.run import SuiteRun
from upgrade_suite.scale.measure import Point, measure
from upgrade_suite.scale.report import write

ROOT = Path(__file__).resolve().parents[2]


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make scale", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10000,100000,1000000", help="database sizes, comma separated")
    parser.add_argument("--engines", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument("--pairs", default="GA:latest,RC1:GA", help="OLD:NEW release pairs (aliases), comma separated")
    parser.add_argument("--out", default=str(ROOT / "reports" / "scale"))
    options = parser.parse_args(argv)
    try:
        options.sizes = [int(size) for size in options.rows.split(",")]
    except ValueError:
        parser.error(f"--rows {options.rows}: sizes are whole numbers of rows, e.g. 10000,100000")
    if not options.sizes or min(options.sizes) < 1:
        parser.error(f"--rows {options.rows}: every size is at least one row")
    options.engine_list = options.engines.split(",")
    if unknown := set(options.engine_list) - {"sqlite", "postgresql"}:
        parser.error(f"--engines: {', '.join(sorted(unknown))} is not sqlite or postgresql")
    options.pair_list = [tuple(pair.split(":")) for pair in options.pairs.split(",")]
    if any(len(pair) != 2 for pair in options.pair_list):
        parser.error(f"--pairs {options.pairs}: each is OLD:NEW, e.g. GA:latest")
    return options


def main(argv: list[str]) -> int:
    options = arguments(argv)
    aliases = {alias for pair in options.pair_list for alias in pair}
    try:
        config = SuiteConfig.from_userdata({})
        run = SuiteRun(config, used=aliases)  # an unknown alias or a missing interpreter stops here, before any work
    except SuiteError as error:
        print(f"make scale: {error}", file=sys.stderr)
        return 2
    points: list[Point] = []
    try:
        for old, new in options.pair_list:
            for engine in options.engine_list:
                for rows in sorted(options.sizes):
                    workdir = run.work_root / f"{old}-{new}-{engine}-{rows}"
                    with console.status(f"{old} -> {new} on {engine}, {rows:,} rows: seeding and migrating ..."):
                        started = time.monotonic()
                        point = measure(run, old, new, engine, rows, workdir)
                    points.append(point)
                    verdict = point.problem or (
                        f"{point.changed_unit} changed: {point.changed}" if point.changed else "every row kept"
                    )
                    console.print(
                        f"{point.old} -> {point.new} on {engine}, {point.total_rows:,} rows: populate "
                        f"{point.seconds['populate']:.1f} s, migrate {point.seconds['migrate']:.1f} s "
                        f"({time.monotonic() - started:.0f} s in all): {verdict}"
                    )
                    if not point.failed:
                        shutil.rmtree(workdir, ignore_errors=True)
    except SuiteError as error:
        print(f"make scale: {error}", file=sys.stderr)
        return 2
    finally:
        run.close()
        if points:
            for path in write(points, Path(options.out)):
                console.print(f"wrote {path}")
    return 1 if any(point.failed for point in points) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
