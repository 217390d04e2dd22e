"""The gate: behave run as given, then judged by the suite's verdicts instead of behave's exit status.

A known-defect scenario is red in behave and in the report (it fails on purpose, for its declared
reason), yet must not fail the gate; a "fixed?" scenario may be green in behave and must fail it.
So the gate reads the verdicts the run wrote (``environment.after_all``, one file per gate run) and
passes only when the run wrote them and every scenario's verdict is one the gate accepts
(``summary.GATE_PASSES``). A run that wrote none (stopped by bad input, a hook error before any
scenario) keeps behave's own status, never 0 when behave said otherwise.
``python -m upgrade_suite.reporting.gate <behave arguments>``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from behave.__main__ import main as behave_main

from upgrade_suite.base.config import VERDICTS_VARIABLE
from upgrade_suite.judging.known_defects import KNOWN
from upgrade_suite.reporting.summary import GATE_PASSES


def decide(behave_status: int, written: dict[str, Any] | None) -> tuple[int, str]:
    """The gate's exit status and its one-line reason, from behave's status and what the run wrote."""
    if written is None:
        return (behave_status or 1), "gate: the run wrote no verdicts (it stopped before judging); behave's status"
    if written["aborted"]:
        return (behave_status or 1), "gate: FAILED, the run was aborted before every scenario ran"
    verdicts: list[dict[str, str]] = written["scenarios"]
    if not verdicts:
        return 1, "gate: FAILED, no scenario ran"
    refused = [v for v in verdicts if v["verdict"] not in GATE_PASSES]
    if refused:
        names = "; ".join(f"{v['verdict']}: {v['scenario']}" for v in refused)
        return 1, f"gate: FAILED, {len(refused)} of {len(verdicts)} scenarios: {names}"
    known = sum(v["verdict"] == KNOWN for v in verdicts)
    if behave_status and not known and not any(v["verdict"] == "red by design" for v in verdicts):
        return behave_status, "gate: FAILED, behave failed though no scenario is red on purpose (see its output)"
    return 0, f"gate: passed, {len(verdicts)} scenarios ({known} known defects, each exactly as declared)"


def main(arguments: list[str]) -> int:
    """Run behave with ``arguments`` in this process and return the gate's exit status.

    In this process, not a child: a SIGTERM sent to the gate (a CI job cancelled, ``kill``) reaches the run's own
    handler (``environment.py``: the scenario's teardown stops what it started), where a child behave was left
    running with its gateways when the gate alone died (measured: a timed-out test's gate killed, its behave went on).
    """
    with tempfile.TemporaryDirectory(prefix="upgrade-gate-") as scratch:
        path = Path(scratch) / "verdicts.json"
        os.environ[VERDICTS_VARIABLE] = str(path)
        try:
            status = behave_main(arguments)
        finally:
            del os.environ[VERDICTS_VARIABLE]
        written = json.loads(path.read_text()) if path.exists() else None
    code, reason = decide(status, written)
    print(reason, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
