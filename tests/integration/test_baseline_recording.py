"""``make baseline`` for real: RC1 and GA installed, measured, triaged, written to a temporary OUT= (never the repo's).

The draft must name exactly what the shipped declaration says RC1 -> GA does on SQLite (recording and judging see
the same consequences, so a recorded baseline neither hides nor invents one); with a reason written on each line
the baseline is written with those lines and nothing else.
"""

import subprocess
from pathlib import Path

import pytest

from upgrade_suite.judging.known_defects import signature_file
from upgrade_suite.judging.schema import BASELINES, read_baseline

from conftest import ROOT

pytestmark = pytest.mark.integration


def make_baseline(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-s", "baseline", "FROM=1.0.0rc1", "TO=1.0.0", "DB=sqlite", f"OUT={out}", *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_make_baseline_drafts_the_declared_consequences_and_writes_per_line_reasons(tmp_path: Path):
    shipped = sorted(BASELINES.glob("*.txt"))
    before = {path: path.read_bytes() for path in shipped}
    drafted = make_baseline(tmp_path)
    assert drafted.returncode == 0, drafted.stderr[-3000:]
    draft = tmp_path / "schema-drift-1.0.0rc1-to-1.0.0-sqlite.draft"
    assert f"REASONS={draft}" in drafted.stdout
    lines = [line.removesuffix("  # reason: ") for line in draft.read_text().splitlines() if not line.startswith("#")]
    declared = signature_file("consequences-1.0.0rc1-to-1.0.0-sqlite")
    assert sorted(line.partition(": ")[0] for line in lines if line) == sorted(p.keys[0] for p in declared)

    draft.write_text(
        "".join(f"{line}  # reason: probed in this test, line {n}\n" for n, line in enumerate(lines) if line)
    )
    written = make_baseline(tmp_path, f"REASONS={draft}")
    assert written.returncode == 0, written.stderr[-3000:]
    assert written.stdout.rstrip().endswith("review and commit this file")
    entries = read_baseline(tmp_path / "schema-drift-1.0.0rc1-to-1.0.0-sqlite.txt")
    assert len({e.reason for e in entries}) == len(entries) == len(declared)
    assert sorted(e.line for e in entries) == sorted(line for line in lines if line)
    assert {path: path.read_bytes() for path in shipped} == before, "the shipped baselines are never touched"
