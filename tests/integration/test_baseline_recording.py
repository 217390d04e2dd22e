"""``make baseline`` for real: RC1 and GA installed, measured, written to a temporary OUT= (never the repo's files).

The measurement must reproduce the shipped RC1 -> GA baseline line for line: recording and judging
see the same drift, so a recorded baseline neither hides nor invents a difference.
"""

import os
import subprocess
from pathlib import Path

import pytest

from upgrade_suite.judging.schema import BASELINES, Baseline, SchemaDiff, difference, judge, read_baseline

from conftest import ROOT

pytestmark = pytest.mark.integration


def test_make_baseline_reproduces_the_shipped_rc1_to_ga_drift(tmp_path: Path):
    shipped = sorted((BASELINES).glob("*.txt"))
    before = {path: path.read_bytes() for path in shipped}
    reason = 'GA\'s migrations "differ" from its models'
    run = subprocess.run(
        ["make", "-s", "baseline", "FROM=1.0.0rc1", "TO=1.0.0", "DB=sqlite", f"OUT={tmp_path}"],
        cwd=ROOT,
        env={**os.environ, "REASON": reason},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    written = tmp_path / "schema-drift-1.0.0rc1-to-1.0.0-sqlite.txt"
    assert run.stdout.rstrip().endswith("review and commit this file")
    entries = read_baseline(written)
    assert {e.reason for e in entries} == {reason}
    ours = read_baseline(BASELINES / written.name)
    assert sorted(e.line for e in entries) == sorted(e.line for e in ours)
    assert judge(
        SchemaDiff("parity", [difference(e.line) for e in entries]),
        Baseline("1.0.0rc1", "1.0.0+local", "sqlite", tmp_path),
    ).ok
    assert {path: path.read_bytes() for path in shipped} == before, "the shipped baselines are never touched"
