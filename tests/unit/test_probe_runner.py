"""The probe runner: one error form for code run in a release's venv, and a timeout is one line, not a traceback."""

import sys
from pathlib import Path

import pytest

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.base.probe_runner import Timeout, run_probe
from upgrade_suite.base.waiting import bounded_run

PYTHON = Path(sys.executable)


def script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "probe.py"
    path.write_text(body)
    return path


def test_a_timeout_is_one_suite_error_line_naming_what_where_how_long_and_the_setting(tmp_path: Path):
    probe = script(tmp_path, "import time\nprint('importing models', flush=True)\ntime.sleep(30)\n")
    with pytest.raises(SuiteError) as raised:
        run_probe(
            "reading the settings models",
            "GA (1.0.0)",
            PYTHON,
            probe,
            [],
            environment={},
            cwd=tmp_path,
            timeout=Timeout(0.5, "migration_timeout"),
        )
    message = str(raised.value)
    assert (
        message == "reading the settings models in GA (1.0.0) timed out after 0 s (raise -D migration_timeout=): "
        "importing models"
    )
    assert "\n" not in message and raised.value.__cause__ is None and raised.value.__suppress_context__


def test_a_failure_quotes_the_last_lines_of_its_output(tmp_path: Path):
    probe = script(tmp_path, "import sys\nprint('one')\nprint('two')\nprint('three')\nsys.exit('four: ImportError')\n")
    run = run_probe(
        "bootstrap_db", "RC1 (1.0.0rc1)", PYTHON, probe, [], environment={}, cwd=tmp_path, timeout=Timeout(30)
    )
    assert run.exit_code == 1
    with pytest.raises(
        SuiteError, match=r"^bootstrap_db in RC1 \(1\.0\.0rc1\) failed after 0 s: two \| three \| four: ImportError$"
    ):
        run.require()


def test_a_missing_output_file_is_a_failure_with_the_callers_hint(tmp_path: Path):
    run = run_probe(
        "importing",
        "GA (1.0.0)",
        PYTHON,
        script(tmp_path, "pass\n"),
        [],
        environment={},
        cwd=tmp_path,
        timeout=Timeout(30),
    )
    with pytest.raises(SuiteError, match=r"failed after 0 s: \(no output\): try another resolved_at$"):
        run.require(produced=tmp_path / "info.json", hint=": try another resolved_at")


def test_a_module_runs_with_only_the_given_environment_and_stderr_apart_when_asked(tmp_path: Path):
    run = run_probe(
        "asking",
        "GA (1.0.0)",
        PYTHON,
        "json.tool",
        ["--help"],
        environment={"ONLY": "this"},
        cwd=tmp_path,
        timeout=Timeout(30),
        merge_stderr=False,
    )
    assert run.require().stdout.startswith("usage:") and run.stderr == ""
    env = run_probe(
        "asking",
        "GA",
        PYTHON,
        script(tmp_path, "import os\nprint(sorted(os.environ))\n"),
        [],
        environment={"ONLY": "this"},
        cwd=tmp_path,
        timeout=Timeout(30),
    )
    assert "ONLY" in env.stdout and "PATH" not in env.stdout


def test_a_helper_program_that_outlives_its_bound_is_one_line():
    assert bounded_run([sys.executable, "-c", "print('ok')"], "a quick helper", 30).stdout == "ok\n"
    with pytest.raises(SuiteError, match="^a slow helper did not finish within 1 s$"):
        bounded_run([sys.executable, "-c", "import time; time.sleep(5)"], "a slow helper", 1)
