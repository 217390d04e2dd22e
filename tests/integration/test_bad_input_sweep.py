"""Every wrong input of bad_inputs.py, given for real: one line that says what to do, a red exit, no traceback,
nothing left running, nothing left behind.

The cases run four at a time, each in its own working directory. behave runs as its command line does
(``behave.__main__.main`` with the same arguments, environment and working directory) in a process
forked from one that imported behave and the suite's libraries once: measured, 27 behave processes
started from scratch spent a minute of CPU importing on 2 busy cores (the sweep took 226 s); forked,
the whole sweep takes 10-50 s. One case (a probe that outlives its timeout) runs a real scenario.
One test runs them all, so the report names N and the sweep's time.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from bad_inputs import BAD_INPUTS, BadInput, documented_table

from conftest import (
    ROOT,
    balancer_sockets,
    behave_env,
    embedded_postgres,
    prepare_workdir,
    suite_processes,
)

pytestmark = pytest.mark.integration

PARALLEL = 4
CASE_TIMEOUT = 300


def _files(scratch: Path) -> None:
    """The wrong release artifacts: a wheel of the future, junk named .whl, a text file, trees of nothing."""
    with zipfile.ZipFile(scratch / "mcp_contextforge_gateway-1.0.0+future-py3-none-any.whl", "w") as wheel:
        wheel.writestr(
            "mcp_contextforge_gateway-1.0.0+future.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: mcp-contextforge-gateway\nVersion: 1.0.0+future\nRequires-Python: >=3.99\n",
        )
    (scratch / "junk.whl").write_text("junk\n")
    (scratch / "mcp_contextforge_gateway-1.0.0-py3-none-any.whl").write_text("not a zip archive\n")
    (scratch / "notes.txt").write_text("release notes\n")
    (scratch / "empty").mkdir()
    (scratch / "other-project").mkdir()
    (scratch / "other-project" / "pyproject.toml").write_text('[project]\nname = "something-else"\nversion = "1.0"\n')


@contextmanager
def _tmpfs(mount: Path, options: str) -> Iterator[None]:
    """A tiny (or read-only) tmpfs for the case, unmounted whatever happens."""
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)], check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False, capture_output=True)


def _path_without(programs: tuple[str, ...], scratch: Path) -> str:
    """A PATH with every program of this machine's PATH but ``programs``: a machine that lacks them."""
    bin_dir = scratch / "bin"
    bin_dir.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        for program in Path(directory).glob("*") if Path(directory).is_dir() else []:
            if program.name not in programs and not (bin_dir / program.name).exists() and os.access(program, os.X_OK):
                (bin_dir / program.name).symlink_to(program)
    return str(bin_dir)


@contextmanager
def scratch_for(case: BadInput, root: Path) -> Iterator[tuple[Path, dict[str, str], list[str]]]:
    """The case's working directory, environment and arguments, with the scratch it needs (unmounted after)."""
    workdir = prepare_workdir(root / case.id / "run")
    scratch = workdir.parent
    env = {**behave_env(), **dict(case.environment)}
    with ExitStack() as stack:
        if case.setup == "files":
            _files(scratch)
        elif case.setup == "tiny-tmpfs":
            stack.enter_context(_tmpfs(scratch / "mount", "size=64k"))
        elif case.setup == "read-only-tmpfs":
            stack.enter_context(_tmpfs(scratch / "mount", "ro,size=64k"))
        if case.without:
            env["PATH"] = _path_without(case.without, scratch)
        yield workdir, env, [a.replace("{tmp}", str(scratch)).replace("{root}", str(ROOT)) for a in case.args]


def _preload() -> None:
    """What every behave run imports (behave, the Allure formatter, the lab and the libraries its steps use)."""
    import allure_behave.formatter  # noqa: F401
    import behave.__main__  # noqa: F401

    import upgrade_suite.judging.checks  # noqa: F401
    import upgrade_suite.lab.rollout  # noqa: F401
    import upgrade_suite.lab.scenario  # noqa: F401


def _fork_behave(workdir: Path, env: dict[str, str], args: list[str], output: Path) -> int:
    """behave's command line in a child of this (preloaded) process; returns the child's pid."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 70
    try:
        os.setpgid(0, 0)  # its own process group: a leftover of this case is found by its working directory
        os.chdir(workdir)
        os.environ.clear()
        os.environ.update(env)
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        # pytest's capture may have replaced sys.stdout/stderr with its own files: write where fd 1 and 2 now go.
        sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115 - the child exits, never closes it
        sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
        sys.path.insert(0, str(ROOT))
        os.nice(10)
        from behave.__main__ import main

        sys.argv = ["behave", *args]
        code = main(args)
    except BaseException:  # the child must never return into pytest
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code if isinstance(code, int) else 1)


def run_all(root: Path) -> list[tuple[BadInput, int, str, float, Path]]:
    """Every case, PARALLEL at a time: make cases as commands, behave cases forked; each with its own scratch."""
    _preload()
    outcomes = []
    pending = list(BAD_INPUTS)
    running: dict[int, tuple[BadInput, ExitStack, Path, Path, float]] = {}
    # The make processes stay referenced until reaped here: a dropped Popen is reaped by subprocess itself
    # (its _cleanup, on the next subprocess call), and its exit status would be lost to waitpid(-1).
    commands: dict[int, subprocess.Popen[bytes]] = {}
    while pending or running:
        while pending and len(running) < PARALLEL:
            case = pending.pop(0)
            stack = ExitStack()
            workdir, env, args = stack.enter_context(scratch_for(case, root))
            output = workdir.parent / "output.txt"
            started = time.monotonic()
            if case.command == "make":
                make = [shutil.which("make") or "make", "-s", "-C", str(ROOT), *args]
                with output.open("w") as out:
                    process = subprocess.Popen(
                        make, cwd=workdir, env=env, stdout=out, stderr=out, stdin=subprocess.DEVNULL
                    )
                pid = process.pid
                commands[pid] = process
            else:
                pid = _fork_behave(workdir, env, [str(ROOT / case.features), *args], output)
            running[pid] = (case, stack, workdir, output, started)
        pid, status = os.waitpid(-1, 0)
        if pid not in running:
            continue
        case, stack, workdir, output, started = running.pop(pid)
        if pid in commands:  # reaped here: tell its Popen, which would otherwise poll a pid that may be reused
            commands.pop(pid).returncode = os.waitstatus_to_exitcode(status)
        stack.close()
        outcomes.append(
            (case, os.waitstatus_to_exitcode(status), output.read_text(), time.monotonic() - started, workdir)
        )
    return outcomes


def judge(case: BadInput, returncode: int, output: str, workdir: Path) -> list[str]:
    """What is wrong with how the run ended (empty: one line, red, no traceback, nothing left)."""
    wrong = []
    lines = [line for line in output.splitlines() if re.search(case.line, line)]
    if len(lines) != 1:
        wrong.append(f"{len(lines)} lines match {case.line!r}")
    if returncode == 0:
        wrong.append("exit status 0")
    if "Traceback" in output:
        wrong.append("a traceback")
    left = suite_processes(workdir) + sorted(embedded_postgres(workdir)) + sorted(map(str, balancer_sockets(workdir)))
    if left:
        wrong.append(f"left running: {left}")
    reports = workdir / "reports"
    if case.where == "start":
        if (reports / "timings.jsonl").exists():
            wrong.append("a scenario started")
        if reports.exists() and any(p for p in reports.rglob("*") if p.is_file()):
            wrong.append(f"files left in {reports}: {[str(p) for p in reports.rglob('*') if p.is_file()][:3]}")
    return wrong


def test_every_bad_input_ends_in_one_line_red_without_traceback_or_leftovers(tmp_path: Path):
    started = time.monotonic()
    outcomes = run_all(tmp_path)
    elapsed = time.monotonic() - started
    failures = {}
    for case, returncode, output, seconds, workdir in outcomes:
        wrong = judge(case, returncode, output, workdir)
        if wrong:
            failures[case.id] = f"{'; '.join(wrong)} ({seconds:.0f} s)\n" + "\n".join(output.splitlines()[-12:])
    print(f"bad-input sweep: {len(BAD_INPUTS)} inputs, {len(failures)} wrong, {elapsed:.0f} s")
    for case, _, _, seconds, _ in sorted(outcomes, key=lambda o: -o[3])[:5]:
        print(f"  slowest: {case.id} {seconds:.1f} s")
    assert not failures, "\n\n".join(f"{name}: {why}" for name, why in failures.items())


def test_the_documented_table_of_errors_is_this_table():
    page = (ROOT / "docs" / "bad-inputs.md").read_text()
    assert documented_table() in page, "regenerate it: .venv/bin/python tests/integration/bad_inputs.py"
